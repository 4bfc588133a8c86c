import cron from 'node-cron'
import { describe, expect, it } from 'vitest'
import { SystemClock } from '../../../src/adapters/clock/system-clock.js'
import { waitFor } from '../../support/wait.js'

describe('SystemClock', () => {
  it('runs a whole-second period on node-cron, loaded on first use, and removes the task on cancel', async () => {
    const clock = new SystemClock()
    const before = cron.getTasks().size
    let runs = 0
    const every = clock.every(1_000, () => void runs++)
    await waitFor('two ticks', () => runs >= 2, { timeoutMs: 10_000 })
    expect(cron.getTasks().size).toBe(before + 1)
    every.cancel()
    expect(cron.getTasks().size).toBe(before)
  })

  it('schedules nothing when cancelled before node-cron has loaded', async () => {
    const clock = new SystemClock()
    await import('node-cron')
    const before = cron.getTasks().size
    clock.every(1_000, () => undefined).cancel()
    // The import is cached now, so the load callback runs within a few microtasks.
    await new Promise((resolve) => setImmediate(resolve))
    expect(cron.getTasks().size).toBe(before)
  })

  it('runs any other period on a timer, and once-only work after its delay', async () => {
    const clock = new SystemClock()
    let ticks = 0
    const every = clock.every(150, () => void ticks++)
    await waitFor('two timer ticks', () => ticks >= 2, { timeoutMs: 10_000 })
    every.cancel()
    const fired = await new Promise<boolean>((resolve) => clock.after(20, () => resolve(true)))
    expect(fired).toBe(true)
  })
})

describe('SystemClock jitter', () => {
  it('runs a jittered period as a chain of timers, never on node-cron, and each gap within the jitter', async () => {
    const draws = [0, 0.999]
    let i = 0
    const clock = new SystemClock({ random: () => draws[i++ % draws.length] ?? 0.5 })
    const before = cron.getTasks().size
    const at: number[] = []
    const every = clock.every(1_000, () => void at.push(Date.now()), { jitter: 0.1 })
    await waitFor('two jittered ticks', () => at.length >= 2, { timeoutMs: 10_000 })
    every.cancel()
    expect(cron.getTasks().size).toBe(before)
    // The draws were 0 and 0.999: 900 ms, then 1099.8 ms (setTimeout never fires early).
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(1_099)
  })
})
