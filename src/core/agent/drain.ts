import { formatDuration, stopLevels, type DesiredState } from '../manifest/index.js'

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
