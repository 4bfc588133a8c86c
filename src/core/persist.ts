import type { Scheduler } from '../ports/clock.js'
import { isDeckhandError } from './errors.js'
import type { Logger } from '../ports/logger.js'

/**
 * Retries a call until it succeeds or the signal aborts, with capped exponential backoff and
 * full jitter, saying what it is waiting for once per failure kind. "Uncertainty never
 * terminates an instance": the agent waits rather than acts on a guess. The SDK retries each
 * call a few times itself; this is the outer loop around those.
 */
export interface PersistOptions {
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly random: () => number
  readonly signal?: AbortSignal | undefined
  readonly initialMs?: number
  readonly maxMs?: number
  /** Give up after this many failures, throwing the last error. Default: never. */
  readonly attempts?: number
  /**
   * Whether a failure the error itself calls retryable (a throttle, a timeout, a 5xx: a
   * DeckhandError with `retryable`) uses up an attempt. Default true. With false, only answers
   * that waiting will not change count, and a throttled AWS is waited out however long it lasts.
   */
  readonly retryableCounts?: boolean
}

export async function persist<T>(what: string, call: () => Promise<T>, options: PersistOptions): Promise<T> {
  let delay = options.initialMs ?? 1_000
  let lastReason: string | undefined
  let attempt = 0
  for (;;) {
    options.signal?.throwIfAborted()
    try {
      const value = await call()
      if (lastReason !== undefined) options.logger.info({ waitingFor: what }, `${what}: answered`)
      return value
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      if (options.retryableCounts !== false || !isDeckhandError(error) || !error.retryable) attempt++
      if (options.attempts !== undefined && attempt >= options.attempts) throw error
      if (reason !== lastReason) options.logger.warn({ waitingFor: what, reason }, `waiting for ${what}`)
      lastReason = reason
    }
    await pause(options.scheduler, options.random() * delay, options.signal)
    delay = Math.min(delay * 2, options.maxMs ?? 30_000)
  }
}

export function pause(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      timer.cancel()
      reject(signal?.reason)
    }
    const timer = scheduler.after(ms, () => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
