import type { Cancellable, Clock, Scheduler } from '../../../src/ports/clock.js'

/**
 * The emulator's notion of time: the project's own Clock plus Scheduler.after, so a manual clock
 * written for the agent's tests plugs in here too. Hook heartbeats, spot deadlines, fault
 * durations and IMDS token expiry all run on it; added latency and waitFor timeouts do not (they
 * are about the test's wall time, not AWS's).
 */
export type EmulatorClock = Clock & Pick<Scheduler, 'after'>

export const realClock: EmulatorClock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms))
    // A one-hour heartbeat timer must not keep a finished test process alive.
    timer.unref()
    return { cancel: () => clearTimeout(timer) }
  },
}

interface ManualTimer {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
  done: boolean
}

/**
 * Time stands still until advance() is called. A timer that is already due when it is scheduled
 * (delay 0) still runs, on the next turn of the event loop, so momentary transitions such as
 * Pending:Proceed → InService happen without the test having to advance anything.
 */
export class ManualClock implements EmulatorClock {
  #now: number
  #seq = 0
  #timers: ManualTimer[] = []

  constructor(start: number | Date = Date.parse('2030-01-01T00:00:00Z')) {
    this.#now = typeof start === 'number' ? start : start.getTime()
  }

  now(): number {
    return this.#now
  }

  after(ms: number, fn: () => void): Cancellable {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, done: false }
    this.#timers.push(timer)
    if (timer.at <= this.#now) setImmediate(() => this.#fire(timer))
    return { cancel: () => this.#remove(timer) }
  }

  /** Moves time forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      const next = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!next) break
      this.#now = Math.max(this.#now, next.at)
      this.#fire(next)
    }
    this.#now = target
  }

  /** Timers not yet run (useful to assert that a heartbeat timer was re-armed). */
  get pendingTimers(): number {
    return this.#timers.length
  }

  #fire(timer: ManualTimer): void {
    if (timer.done) return
    this.#remove(timer)
    timer.fn()
  }

  #remove(timer: ManualTimer): void {
    timer.done = true
    this.#timers = this.#timers.filter((t) => t !== timer)
  }
}
