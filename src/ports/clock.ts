/** Time, injected, so backoff, crash loops and deadlines are tested on a manual clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
}

export interface Cancellable {
  cancel(): void
}

export interface Scheduler {
  /** Runs fn once after ms. */
  after(ms: number, fn: () => void): Cancellable
  /** Runs fn every ms, with ±jitter (a fraction, e.g. 0.1) on each period. */
  every(ms: number, fn: () => void, options?: { jitter?: number }): Cancellable
}
