import { formatDuration } from '../core/manifest/index.js'
import { stopBudgetMs } from '../core/agent/drain.js'
import { loadManifestFile } from './load-manifest.js'

/** The systemd unit's TimeoutStopSec (ami/files/deckhand.service): how long a drain at shutdown may take. */
export const UNIT_STOP_TIMEOUT_MS = 15 * 60_000

/** `deckhand validate FILE [--version V]`: throws MANIFEST_INVALID listing every error and its path. */
export async function validate(file: string, options: { version?: string; stateDir?: string }, out: (line: string) => void): Promise<number> {
  const desired = await loadManifestFile(file, options.version, options.stateDir === undefined ? {} : { stateDir: options.stateDir })
  const count = desired.containers.length
  out(`${file} is valid: ${count} container${count === 1 ? '' : 's'} (${desired.containers.map((c) => c.name).join(' → ')}), revision ${desired.revision}`)
  // A drain at shutdown runs inside the unit's stop timeout; past it systemd kills the agent mid-drain.
  const stops = stopBudgetMs(desired)
  const drain = desired.rollout.drainDelayMs + stops
  if (drain > UNIT_STOP_TIMEOUT_MS) {
    out(
      `warning: draining this manifest can take up to ${formatDuration(drain)} (drainDelay ${formatDuration(desired.rollout.drainDelayMs)} and stop timeouts of ${formatDuration(stops)}, level by level), longer than the systemd unit's TimeoutStopSec of ${formatDuration(UNIT_STOP_TIMEOUT_MS)}; shorten them, or raise TimeoutStopSec in ami/files/deckhand.service.`,
    )
  }
  return 0
}
