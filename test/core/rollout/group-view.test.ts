import { describe, expect, it } from 'vitest'
import {
  LIFECYCLE_STATES,
  formatReadyAt,
  parseHealth,
  parseTagState,
  parseLifecycleState,
  parseReadyAt,
  readDeckhandTags,
} from '../../../src/core/rollout/group-view.js'

describe('parseLifecycleState', () => {
  it('takes every string the Auto Scaling API documents', () => {
    expect(LIFECYCLE_STATES).toHaveLength(23)
    for (const state of LIFECYCLE_STATES) expect(parseLifecycleState(state)).toBe(state)
  })

  it('reads anything else as unknown', () => {
    expect(parseLifecycleState('inservice')).toBeUndefined()
    expect(parseLifecycleState('Rebooting')).toBeUndefined()
    expect(parseLifecycleState(undefined)).toBeUndefined()
  })
})

describe('parseHealth', () => {
  it('takes Healthy and Unhealthy only', () => {
    expect(parseHealth('Healthy')).toBe('Healthy')
    expect(parseHealth('Unhealthy')).toBe('Unhealthy')
    expect(parseHealth('HEALTHY')).toBeUndefined()
    expect(parseHealth(undefined)).toBeUndefined()
  })
})

describe('parseTagState', () => {
  it('takes the four states deckhand writes, exactly', () => {
    for (const state of ['booting', 'ready', 'degraded', 'draining', 'failed']) expect(parseTagState(state)).toBe(state)
  })

  it('reads hand-typed or unknown values as no state', () => {
    for (const raw of ['Ready', 'READY', ' ready', 'up', '', undefined]) expect(parseTagState(raw)).toBeUndefined()
  })
})

describe('parseReadyAt', () => {
  it('reads RFC 3339 UTC, with or without fractions', () => {
    expect(parseReadyAt('2026-11-23T12:00:00Z')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0))
    expect(parseReadyAt('2026-11-23T12:00:00.250Z')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0, 250))
    expect(parseReadyAt('2026-11-23t12:00:00z')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0))
    expect(parseReadyAt('2026-11-23 12:00:00Z')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0))
  })

  it('applies offsets', () => {
    expect(parseReadyAt('2026-11-23T14:30:00+02:30')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0))
    expect(parseReadyAt('2026-11-23T07:00:00-05:00')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0))
  })

  it('accepts February 29th in a leap year only', () => {
    expect(parseReadyAt('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29))
    expect(parseReadyAt('2026-02-29T00:00:00Z')).toBeUndefined()
  })

  it('reads anything else as unknown rather than as some other time', () => {
    for (const raw of [
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-11-23T24:00:00Z',
      '2026-11-23T12:60:00Z',
      '2026-11-23T23:59:60Z',
      '2026-11-23T12:00:00',
      '2026-11-23T12:00:00+24:00',
      '2026-11-23',
      '1763899200',
      'yesterday',
      '',
      undefined,
    ]) {
      expect(parseReadyAt(raw), String(raw)).toBeUndefined()
    }
  })
})

describe('formatReadyAt', () => {
  it('writes whole seconds in UTC, rounded up so nothing looks warmed up early', () => {
    expect(formatReadyAt(Date.UTC(2026, 10, 23, 12, 0, 0))).toBe('2026-11-23T12:00:00Z')
    expect(formatReadyAt(Date.UTC(2026, 10, 23, 12, 0, 0, 1))).toBe('2026-11-23T12:00:01Z')
  })

  it('reads back as the same or a later time', () => {
    for (const ms of [0, 999, 1000, Date.UTC(2026, 10, 23, 23, 59, 59, 999)]) {
      const back = parseReadyAt(formatReadyAt(ms))
      expect(back).toBeDefined()
      expect(back! - ms).toBeGreaterThanOrEqual(0)
      expect(back! - ms).toBeLessThan(1000)
    }
  })
})

describe('readDeckhandTags', () => {
  it('reads the three tags', () => {
    expect(
      readDeckhandTags({
        'deckhand:state': 'ready',
        'deckhand:revision': 'abc123',
        'deckhand:ready-at': '2026-11-23T12:00:00Z',
        Name: 'web',
      }),
    ).toEqual({ state: 'ready', revision: 'abc123', readyAt: Date.UTC(2026, 10, 23, 12) })
  })

  it('leaves out what is missing or unreadable, rather than setting it undefined', () => {
    const tags = readDeckhandTags({ 'deckhand:state': 'Ready', 'deckhand:revision': '', 'deckhand:ready-at': 'soon' })
    expect(tags).toEqual({})
    expect(Object.keys(tags)).toEqual([])
  })
})
