import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKOFF, nextDelay } from '../../../src/core/supervisor/restart-policy.js'

describe('nextDelay', () => {
  it('restarts at once after a run that reset the backoff, then backs off from 100 ms as Docker does', () => {
    expect(nextDelay(undefined, 10_000)).toBe(0)
    expect(nextDelay(0, 2_000)).toBe(100)
    expect(nextDelay(100, 2_000)).toBe(200)
    expect(nextDelay(400, 10_000)).toBe(0)
  })

  it('waits 100 ms before the first restart of a run that was short or unknown, and caps the delay at a minute', () => {
    expect(nextDelay(undefined, 9_999)).toBe(100)
    expect(nextDelay(undefined, undefined)).toBe(100)
    expect(nextDelay(40_000, undefined)).toBe(DEFAULT_BACKOFF.maxMs)
  })
})
