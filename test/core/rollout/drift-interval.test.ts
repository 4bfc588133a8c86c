import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DRIFT_TPS_BUDGET,
  MAX_DRIFT_INTERVAL_MS,
  MIN_DRIFT_INTERVAL_MS,
  SSM_GET_TPS,
  callsPerCheck,
  driftIntervalBoundMs,
  driftIntervalMs,
} from '../../../src/core/rollout/drift-interval.js'

const S = 1000
/** Just under 1, the top of Math.random's range. */
const TOP = 1 - Number.EPSILON

describe('drift interval', () => {
  it('budgets half of the default SSM quota', () => {
    expect(SSM_GET_TPS).toBe(40)
    expect(DRIFT_TPS_BUDGET).toBe(20)
    expect(MIN_DRIFT_INTERVAL_MS).toBe(60 * S)
    expect(MAX_DRIFT_INTERVAL_MS).toBe(15 * 60 * S)
  })

  it('grows with the fleet past 1,200 instances, and never goes under 60 s', () => {
    expect([1, 100, 1000, 1200, 1300, 10_000, 20_000].map((fleetSize) => driftIntervalBoundMs({ fleetSize }))).toEqual([
      60 * S,
      60 * S,
      60 * S,
      60 * S,
      65 * S,
      500 * S,
      1000 * S,
    ])
  })

  it('draws +-10% around a nominal interval whose shortest draw is the bound', () => {
    expect(driftIntervalMs({ fleetSize: 1000, random: 0 })).toBe(60 * S)
    expect(driftIntervalMs({ fleetSize: 1000, random: 0.5 })).toBe(66_667)
    expect(driftIntervalMs({ fleetSize: 1000, random: TOP })).toBe(73_333)
    expect(driftIntervalMs({ fleetSize: 10_000, random: 0 })).toBe(500 * S)
    expect(driftIntervalMs({ fleetSize: 10_000, random: 0.5 })).toBe(555_556)
    expect(driftIntervalMs({ fleetSize: 10_000, random: TOP })).toBe(611_111)
  })

  it('counts a check that needs several GetParameters calls', () => {
    expect([0, 1, 10, 11, 25].map(callsPerCheck)).toEqual([1, 1, 1, 2, 3])
    expect(driftIntervalBoundMs({ fleetSize: 1000, callsPerCheck: 3 })).toBe(150 * S)
  })

  it('takes a larger budget for accounts with higher throughput', () => {
    expect(driftIntervalBoundMs({ fleetSize: 10_000, tpsBudget: 500 })).toBe(60 * S)
  })

  it('doubles on each throttled check in a row, until the longest draw is 15 minutes', () => {
    const at = (throttledCount: number, random: number) => driftIntervalMs({ fleetSize: 10, random, throttledCount })
    expect([0, 1, 2, 3].map((n) => at(n, 0))).toEqual([60 * S, 120 * S, 240 * S, 480 * S])
    expect(at(4, TOP)).toBe(900 * S)
    expect(at(4, 0)).toBe(736_364)
    expect(at(50, TOP)).toBe(900 * S)
    expect(at(10_000, TOP)).toBe(900 * S)
  })

  it('keeps a fleet whose bound alone exceeds the cap at its bound', () => {
    expect(driftIntervalMs({ fleetSize: 20_000, random: 0, throttledCount: 5 })).toBe(1000 * S)
    expect(driftIntervalMs({ fleetSize: 20_000, random: TOP, throttledCount: 5 })).toBe(1_222_222)
  })

  it('reads nonsense inputs safely', () => {
    expect(driftIntervalMs({ fleetSize: Number.NaN, random: 0 })).toBe(60 * S)
    expect(driftIntervalMs({ fleetSize: -5, random: 0, throttledCount: -3 })).toBe(60 * S)
    expect(driftIntervalMs({ fleetSize: 10, random: Number.NaN })).toBe(66_667)
    expect(driftIntervalMs({ fleetSize: 10, random: 7 })).toBe(73_333)
  })

  it('never breaks the bound, never exceeds the cap unless the bound does, and stays within 20% of spread', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (fleetSize, random, throttledCount, calls) => {
          const bound = driftIntervalBoundMs({ fleetSize, callsPerCheck: calls })
          const ms = driftIntervalMs({ fleetSize, random, throttledCount, callsPerCheck: calls })
          expect(ms).toBeGreaterThanOrEqual(Math.ceil(bound))
          expect(ms).toBeGreaterThanOrEqual(MIN_DRIFT_INTERVAL_MS)
          expect(ms).toBeLessThanOrEqual(Math.max(MAX_DRIFT_INTERVAL_MS, Math.ceil((bound * 1.1) / 0.9)))
          // The fleet's calls per second at this draw stay inside the budget's worst case (all at the shortest draw).
          expect((fleetSize * calls) / (ms / 1000)).toBeLessThanOrEqual(DRIFT_TPS_BUDGET + 1e-9)
        },
      ),
    )
  })
})

describe('drift interval across APIs', () => {
  it('takes the slowest of the SSM, Auto Scaling and EC2 budgets', () => {
    // One DescribeAutoScalingGroups per check: 1,000 instances at 10 calls a second.
    expect(driftIntervalBoundMs({ fleetSize: 1000, autoScalingCalls: 1 })).toBe(100 * S)
    // Out of date with a view of 1,000 instances: 2 Auto Scaling calls and 5 DescribeInstances.
    expect(driftIntervalBoundMs({ fleetSize: 1000, autoScalingCalls: 2, ec2Calls: 5 })).toBe(500 * S)
    expect(driftIntervalBoundMs({ fleetSize: 10, autoScalingCalls: 2, ec2Calls: 1 })).toBe(60 * S)
  })
})
