import type { ScheduledTask } from 'node-cron'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'

/**
 * Real time. Periods that are a whole number of seconds dividing a minute (the reconcile tick)
 * run on node-cron; any other period runs as a chain of timers. Jitter delays each run by up to
 * `jitter × period`, so a fleet that booted together does not call the same API in the same second.
 * node-cron is imported on the first such period, not at start-up: its first tick is a second
 * away, and a boot has Docker calls to make meanwhile.
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
      let task: ScheduledTask | undefined
      let stopped = false
      void loadCron().then((cron) => {
        if (!stopped) task = cron.schedule(`*/${seconds} * * * * *`, fire, { noOverlap: false })
      })
      stop = () => {
        stopped = true
        void task?.destroy()
      }
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

let cronModule: Promise<typeof import('node-cron').default> | undefined

function loadCron(): Promise<typeof import('node-cron').default> {
  cronModule ??= import('node-cron').then((module) => module.default)
  return cronModule
}
