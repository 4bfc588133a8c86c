import type { Cancellable, Clock, Scheduler } from '../../src/ports/clock.js'

/** A clock and scheduler that move only when a test says so. Jitter is ignored: tests want exact times. */
export class ManualClock implements Clock, Scheduler {
  private time: number
  private nextId = 0
  private readonly timers = new Map<number, { at: number; fn: () => void; every?: number }>()

  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  after(ms: number, fn: () => void): Cancellable {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn })
    return { cancel: () => this.timers.delete(id) }
  }

  every(ms: number, fn: () => void): Cancellable {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + ms, fn, every: ms })
    return { cancel: () => this.timers.delete(id) }
  }

  /** Moves time forward, firing due timers in order; `settle` runs after each so async work lands. */
  async advance(ms: number, settle: () => Promise<void> = flushMicrotasks): Promise<void> {
    const end = this.time + ms
    for (;;) {
      await settle()
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort(([, a], [, b]) => a.at - b.at)[0]
      if (!due) break
      const [id, timer] = due
      this.time = Math.max(this.time, timer.at)
      if (timer.every) timer.at += timer.every
      else this.timers.delete(id)
      timer.fn()
    }
    this.time = end
    await settle()
  }

  pending(): number {
    return this.timers.size
  }
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
