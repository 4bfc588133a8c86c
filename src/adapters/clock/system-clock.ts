import type { ScheduledTask } from 'node-cron'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'

/**
 * Real time. A jittered period is a chain of timers, each `period × (1 ± jitter)` after the
 * last, so agents that started together drift apart instead of calling AWS in the same second:
 * every timer that calls AWS is jittered. An unjittered period that is a whole number of seconds
 * dividing a minute runs on node-cron (local work only: cron aligns every process to the same
 * wall-clock second); any other one on setInterval. node-cron is imported on the first such
 * period, not at start-up: its first tick is a second away, and a boot has Docker calls to make
 * meanwhile.
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
    const jitter = Math.min(1, Math.max(0, options.jitter ?? 0))
    if (jitter > 0) return this.#chain(ms, jitter, fn)
    const seconds = ms / 1000
    let stop: () => void
    if (Number.isInteger(seconds) && seconds >= 1 && seconds < 60 && 60 % seconds === 0) {
      let task: ScheduledTask | undefined
      let stopped = false
      void loadCron().then((cron) => {
        if (!stopped) task = cron.schedule(`*/${seconds} * * * * *`, fn, { noOverlap: false })
      })
      stop = () => {
        stopped = true
        void task?.destroy()
      }
    } else {
      const timer = setInterval(fn, ms)
      timer.unref?.()
      stop = () => clearInterval(timer)
    }
    return { cancel: stop }
  }

  #chain(ms: number, jitter: number, fn: () => void): Cancellable {
    let current: Cancellable | undefined
    let cancelled = false
    const next = () => {
      if (cancelled) return
      current = this.after(ms * (1 + jitter * (2 * this.random() - 1)), () => {
        next()
        fn()
      })
    }
    next()
    return {
      cancel: () => {
        cancelled = true
        current?.cancel()
      },
    }
  }
}

let cronModule: Promise<typeof import('node-cron').default> | undefined

function loadCron(): Promise<typeof import('node-cron').default> {
  cronModule ??= import('node-cron').then((module) => module.default)
  return cronModule
}
