import { formatDuration, type DesiredState } from '../manifest/index.js'

/**
 * Containers in stop order, grouped by dependency level: every container of a group may stop at
 * the same time, and a group starts stopping only once every group before it has stopped. A
 * container stops before anything it depends on.
 */
export function stopLevels<T extends { readonly name: string; readonly dependsOn: readonly string[] }>(containers: readonly T[]): T[][] {
  const level = new Map<string, number>()
  const byName = new Map(containers.map((c) => [c.name, c]))
  const depth = (name: string, seen: ReadonlySet<string>): number => {
    const known = level.get(name)
    if (known !== undefined) return known
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d) && !seen.has(d))
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth(d, new Set([...seen, name]))))
    level.set(name, value)
    return value
  }
  for (const c of containers) depth(c.name, new Set())
  const deepest = Math.max(-1, ...level.values())
  const levels: T[][] = []
  for (let l = deepest; l >= 0; l--) levels.push(containers.filter((c) => level.get(c.name) === l))
  return levels
}

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
