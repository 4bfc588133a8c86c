import { describe, expect, it } from 'vitest'
import { allowed, desiredTags, InstanceLifecycle, tagDrift } from '../../../src/core/agent/lifecycle.js'
import { TAG_STATES } from '../../../src/core/instance-state.js'
import { FakeFleet } from '../../support/fake-aws.js'
import { ManualClock } from '../../support/manual-clock.js'
import { MemoryLogger } from '../../support/memory-logger.js'

describe('lifecycle transitions', () => {
  it('keeps failed final, and leaves draining only to put back a drain that was not a termination', () => {
    for (const to of TAG_STATES) expect(allowed('failed', to)).toBe(to === 'failed')
    for (const to of TAG_STATES) expect(allowed('draining', to)).toBe(to === 'draining')
    expect(allowed('draining', 'ready', { restore: true })).toBe(true)
    expect(allowed('draining', 'failed', { restore: true })).toBe(false)
    expect(allowed('booting', 'ready')).toBe(true)
    expect(allowed('ready', 'booting')).toBe(false)
    expect(allowed('degraded', 'ready')).toBe(true)
  })

  it('compares observed tags with the desired ones, ready-at by the instant it names', () => {
    const desired = { state: 'ready' as const, revision: 'abc', readyAt: Date.UTC(2026, 0, 1) }
    expect(desiredTags(desired)).toEqual({ 'deckhand:state': 'ready', 'deckhand:revision': 'abc', 'deckhand:ready-at': '2026-01-01T00:00:00Z' })
    expect(tagDrift(desired, { 'deckhand:state': 'ready', 'deckhand:revision': 'abc', 'deckhand:ready-at': '2026-01-01T00:00:00.000Z' })).toEqual({ stale: [], removeReason: false })
    expect(tagDrift(desired, { 'deckhand:state': 'booting', 'deckhand:revision': 'abc', 'deckhand:reason': 'x' })).toEqual({ stale: ['deckhand:state', 'deckhand:ready-at'], removeReason: true })
  })
})

describe('InstanceLifecycle', () => {
  function make() {
    const clock = new ManualClock()
    const fleet = new FakeFleet('i-1')
    const lifecycle = new InstanceLifecycle({ fleet, instanceId: 'i-1', scheduler: clock, logger: new MemoryLogger(), random: () => 0.5, initial: { state: 'booting', revision: 'r1' } })
    return { clock, fleet, lifecycle }
  }

  it('changes its state before the tags are written, and writes only the newest state after a throttle', async () => {
    const { clock, fleet, lifecycle } = make()
    fleet.tagFailures = 2
    const ready = lifecycle.transition('ready', { readyAt: clock.now() })
    expect(lifecycle.state).toBe('ready')
    const degraded = lifecycle.transition('degraded', { reason: 'crash loop: app\nrestarted' })
    await clock.advance(10_000)
    await Promise.all([ready, degraded])
    expect(fleet.calls.filter((c) => c.startsWith('tag '))).toEqual(['tag throttled', 'tag throttled', 'tag deckhand:state=degraded,deckhand:revision=r1,deckhand:ready-at=<time>,deckhand:reason=crash loop: app restarted'])
  })

  it('refuses ready after failed, and removes the reason tag when it goes back to ready', async () => {
    const { clock, fleet, lifecycle } = make()
    await lifecycle.transition('ready', { readyAt: clock.now() })
    await lifecycle.transition('degraded', { reason: 'crash loop' })
    await lifecycle.transition('ready')
    expect(fleet.tags.get('i-1')?.['deckhand:reason']).toBeUndefined()
    expect(fleet.calls).toContain('untag deckhand:reason')
    await lifecycle.transition('failed', { reason: 'boom' })
    expect(await lifecycle.transition('ready')).toBe(false)
    expect(fleet.tags.get('i-1')?.['deckhand:state']).toBe('failed')
  })
})
