import cron from 'node-cron'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'

/**
 * Real time. Periods that are a whole number of seconds dividing a minute (the reconcile tick)
 * run on node-cron; any other period runs as a chain of timers. Jitter delays each run by up to
 * `jitter × period`, so a fleet that booted together does not call the same API in the same second.
 */
export class SystemClock implements Clock, Scheduler {
  private readonly random: () => number

  constructor(options: { random?: () => number } = {}) {
    this.random = options.random ?? Math.random
  }

  now(): number {
    return Date.now()
  }

  after(ms: number, fn: () => void): Cancellable {
    const timer = setTimeout(fn, Math.max(0, ms))
    timer.unref?.()
    return { cancel: () => clearTimeout(timer) }
  }

  every(ms: number, fn: () => void, options: { jitter?: number } = {}): Cancellable {
    const jitter = options.jitter ?? 0
    const pending = new Set<Cancellable>()
    const fire = () => {
      if (jitter <= 0) return fn()
      const delay = this.after(this.random() * jitter * ms, () => {
        pending.delete(delay)
        fn()
      })
      pending.add(delay)
    }
    const seconds = ms / 1000
    let stop: () => void
    if (Number.isInteger(seconds) && seconds >= 1 && seconds < 60 && 60 % seconds === 0) {
      const task = cron.schedule(`*/${seconds} * * * * *`, fire, { noOverlap: false })
      stop = () => void task.destroy()
    } else {
      const timer = setInterval(fire, ms)
      timer.unref?.()
      stop = () => clearInterval(timer)
    }
    return {
      cancel: () => {
        stop()
        for (const p of pending) p.cancel()
      },
    }
  }
}
