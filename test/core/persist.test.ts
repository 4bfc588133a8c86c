import { describe, expect, it } from 'vitest'
import { DeckhandError } from '../../src/core/errors.js'
import { persist, type PersistOptions } from '../../src/core/persist.js'
import { ManualClock } from '../support/manual-clock.js'
import { MemoryLogger } from '../support/memory-logger.js'

const throttled = () => new DeckhandError('AWS_UNAVAILABLE', 'AWS throttled autoscaling:CompleteLifecycleAction (Throttling); deckhand backs off and tries again.', { retryable: true })
const refused = () => new DeckhandError('AWS_UNAVAILABLE', 'No active Lifecycle Action found.', { retryable: false })

/** A call that fails with each error in turn, then answers 'done'. */
function failing(errors: readonly Error[]): { call: () => Promise<string>; calls: () => number } {
  let calls = 0
  return {
    call: async () => {
      const error = errors[calls++]
      if (error) throw error
      return 'done'
    },
    calls: () => calls,
  }
}

async function run(errors: readonly Error[], extra: Partial<PersistOptions>): Promise<{ outcome: unknown; calls: number }> {
  const clock = new ManualClock()
  const options: PersistOptions = { scheduler: clock, logger: new MemoryLogger(), random: () => 1, ...extra }
  const target = failing(errors)
  let outcome: unknown
  const done = persist('the thing', target.call, options).then(
    (value) => (outcome = value),
    (error: unknown) => (outcome = error),
  )
  // Far past any backoff: 40 waits of at most 30 s.
  await clock.advance(40 * 30_000)
  await done
  return { outcome, calls: target.calls() }
}

describe('persist', () => {
  it('gives up after `attempts` failures of any kind by default', async () => {
    const { outcome, calls } = await run(Array.from({ length: 10 }, throttled), { attempts: 3 })
    expect(outcome).toBeInstanceOf(DeckhandError)
    expect(calls).toBe(3)
  })

  it('with retryableCounts false, waits out any number of throttles and then answers', async () => {
    const { outcome, calls } = await run(Array.from({ length: 20 }, throttled), { attempts: 2, retryableCounts: false })
    expect(outcome).toBe('done')
    expect(calls).toBe(21)
  })

  it('with retryableCounts false, still gives up on answers that waiting will not change', async () => {
    const { outcome, calls } = await run([throttled(), refused(), throttled(), refused(), refused()], { attempts: 2, retryableCounts: false })
    expect((outcome as DeckhandError).message).toBe('No active Lifecycle Action found.')
    expect(calls).toBe(4)
  })

  it('never gives up without attempts', async () => {
    const { outcome, calls } = await run([refused(), refused(), throttled()], {})
    expect(outcome).toBe('done')
    expect(calls).toBe(4)
  })
})
