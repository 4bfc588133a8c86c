/**
 * Backoff and crash-loop rules, as pure functions of what happened and when.
 * The backoff follows Docker's restart manager (AWS-FACTS: 100 ms, doubling, capped at one
 * minute, reset once a run lasted 10 s) with one difference: the first restart after a run that
 * reset the backoff happens at once, where Docker waits 100 ms. A service that crashes once in a
 * while is back sooner; one that crashes again within 10 s backs off from 100 ms, as in Docker.
 */
export interface BackoffPolicy {
  readonly initialMs: number
  readonly maxMs: number
  /** A run at least this long resets the delay to initialMs. */
  readonly resetAfterMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 100, maxMs: 60_000, resetAfterMs: 10_000 })

/**
 * The delay before the next start, given the delay used last time (undefined before the first
 * failure) and how long the run lasted (undefined when it never ran, or nobody knows).
 */
export function nextDelay(previousMs: number | undefined, runMs: number | undefined, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (runMs !== undefined && runMs >= policy.resetAfterMs) return 0
  if (previousMs === undefined) return policy.initialMs
  return Math.min(policy.maxMs, Math.max(policy.initialMs, previousMs * 2))
}

/** Restart times still inside the window, oldest first. */
export function restartsWithin(restartTimes: readonly number[], now: number, windowMs: number): number[] {
  return restartTimes.filter((t) => now - t < windowMs)
}

export function isCrashLooping(restartTimes: readonly number[], now: number, crashLoop: { readonly restarts: number; readonly withinMs: number }): boolean {
  return restartsWithin(restartTimes, now, crashLoop.withinMs).length >= crashLoop.restarts
}
