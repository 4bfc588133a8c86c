import { formatDuration, stopLevels, type DesiredState } from '../manifest/index.js'
import { pause } from '../persist.js'
import type { Supervisor } from '../supervisor/supervisor.js'
import type { Clock, Scheduler } from '../../ports/clock.js'
import type { Logger } from '../../ports/logger.js'
import type { VolumeProvider } from '../../ports/volumes.js'

/** How long stopping every container takes at most, level by level. */
export function stopBudgetMs(desired: Pick<DesiredState, 'containers'>): number {
  return stopLevels(desired.containers).reduce((sum, group) => sum + Math.max(0, ...group.map((c) => c.stopTimeoutMs)), 0)
}

/** Time kept back from a spot reclaim for the hook, the volumes and the clock's error. */
export const RECLAIM_MARGIN_MS = 15_000

/**
 * The drain delay that fits before a spot reclaim: what the notice leaves after the stops and a
 * margin, never more than the manifest's drainDelay. `cut` says what was given up, for the log.
 */
export function fitDrainDelay(drainDelayMs: number, stopMs: number, now: number, reclaimAt: number | undefined): { readonly delayMs: number; readonly cut?: string } {
  if (reclaimAt === undefined) return { delayMs: drainDelayMs }
  const available = Math.max(0, reclaimAt - now - stopMs - RECLAIM_MARGIN_MS)
  if (drainDelayMs <= available) return { delayMs: drainDelayMs }
  return {
    delayMs: available,
    cut: `drainDelay cut from ${formatDuration(drainDelayMs)} to ${formatDuration(available)}: the spot notice leaves ${formatDuration(Math.max(0, reclaimAt - now))}, and stopping the containers takes up to ${formatDuration(stopMs)}`,
  }
}

/**
 * The part of a drain (SPEC §1.9) that touches the host: wait drainDelay for the load balancer
 * (cut to fit a spot notice, saying what was cut), stop the containers level by level, release
 * the volumes. Stopped containers are kept, for `docker logs`; volumes are never deleted.
 */
export async function stopEverything(options: {
  readonly supervisor: Pick<Supervisor, 'drain'>
  readonly desired: DesiredState
  readonly drainDelayMs: number
  readonly volumes: VolumeProvider
  readonly reclaimAt: number | undefined
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly logger: Logger
}): Promise<void> {
  const { desired, logger: log } = options
  const fit = fitDrainDelay(options.drainDelayMs, stopBudgetMs(desired), options.clock.now(), options.reclaimAt)
  if (fit.cut !== undefined) log.warn({ reason: fit.cut }, 'the drain is cut to fit the spot notice')
  if (fit.delayMs > 0) {
    log.info({ drainDelay: fit.delayMs }, 'waiting for the load balancer to drain connections')
    await pause(options.scheduler, fit.delayMs)
  }
  await options.supervisor.drain()
  for (const [name, spec] of Object.entries(desired.volumes)) {
    await options.volumes.release(name, spec).catch((error: unknown) => log.error({ volume: name, reason: error instanceof Error ? error.message : String(error) }, 'could not release the volume'))
  }
}
