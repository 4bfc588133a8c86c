import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { STEP_MS, simulate, type Chaos, type InitialInstance, type SimConfig, type SimResult } from './fleet-sim.js'

/**
 * The fleet model with agents as the reworked agent runs them (issue 11): one writer of the
 * lifecycle whose tags reach the group late or not at all and are written again on each check,
 * agents restarted with the host up (no drain, tags kept), hosts rebooted (a drain that is not a
 * termination, put back with the same ready-at), and a shared dependency going down so that every
 * app crash-loops and crash-looping agents take turns to be replaced.
 */

const initialArb = (kinds: readonly InitialInstance['kind'][]): fc.Arbitrary<InitialInstance> =>
  fc.record({
    kind: fc.constantFrom(...kinds),
    launchedStepsAgo: fc.integer({ min: 1, max: 12 }),
    readyAfter: fc.integer({ min: 1, max: 8 }),
  })

const MIXED = ['serving-old', 'serving-old', 'serving-old', 'serving-old', 'serving-new', 'unwarmed-old', 'no-ready-at-old', 'booting-old', 'booting-new', 'failed-old'] as const
const HEALTHY = ['serving-old', 'serving-old', 'serving-old', 'serving-new', 'unwarmed-old', 'booting-old', 'booting-new'] as const

interface Over {
  readonly kinds?: readonly InitialInstance['kind'][]
  readonly maxInstances?: number
  readonly failChance?: fc.Arbitrary<number>
  readonly outage?: fc.Arbitrary<Chaos['outage']>
  readonly steps?: number
}

const outageArb: fc.Arbitrary<Chaos['outage']> = fc
  .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 60 }))
  .map(([from, length]) => ({ from, to: from + length }))

function configArb(over: Over = {}): fc.Arbitrary<SimConfig> {
  const chaos: fc.Arbitrary<Chaos> = fc.record({
    tagLag: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 })).map(([min, span]) => ({ min, max: min + span })),
    tagLoss: fc.constantFrom(0, 0.1, 0.4),
    restartChance: fc.constantFrom(0, 0.01, 0.05),
    interruptChance: fc.constantFrom(0, 0.3),
    rebootChance: fc.constantFrom(0, 0.005, 0.02),
    until: fc.integer({ min: 0, max: 120 }),
    outage: over.outage ?? fc.constant(undefined),
    turnStaleness: fc.constant(0),
    turnChance: fc.double({ min: 0.2, max: 1, noNaN: true }),
  })
  return fc.record({
    initial: fc.array(initialArb(over.kinds ?? MIXED), { minLength: 1, maxLength: over.maxInstances ?? 20, size: 'max' }),
    policy: fc.record({
      maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.record({ percent: fc.integer({ min: 1, max: 50 }) })),
      warmupMs: fc.constantFrom(0, STEP_MS, 3 * STEP_MS),
    }),
    staleness: fc.integer({ min: 0, max: 3 }),
    selfKnowledge: fc.constant('own-state' as const),
    checkChance: fc.double({ min: 0.3, max: 1, noNaN: true }),
    bootSteps: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([min, span]) => ({ min, max: min + span })),
    failChance: over.failChance ?? fc.constantFrom(0, 0, 0.2),
    launchLag: fc.integer({ min: 0, max: 1 }),
    drainSteps: fc.integer({ min: 0, max: 3 }),
    steps: fc.constant(over.steps ?? 250),
    seed: fc.integer(),
    chaos,
  })
}

/** The steps up to `step`, as lines: what a failure prints. */
function trace(result: SimResult, step: number, from = 0): string {
  return result.records
    .filter((r) => r.step >= from && r.step <= step && r.events.length > 0)
    .map((r) => `  ${r.step}: ${r.events.join('; ')}`)
    .join('\n')
}

function context(config: SimConfig, result: SimResult, step: number): string {
  return `seed ${config.seed}, ${result.desired} instances, maxUnavailable ${result.maxUnavailable}, step ${step}\n${trace(result, step, Math.max(0, step - 15))}`
}

/**
 * The gate's bound, with what no agent chose allowed for: a host rebooting, or a drain being put
 * back, takes its instance out whatever the gate said. Budgeted terminations in flight never
 * exceed maxUnavailable, and no serving instance ever leaves without the budget (a restarted agent
 * that forgot its instance serves would get the `not-ready` free pass).
 */
function expectGateBound(config: SimConfig, result: SimResult): void {
  const atStart = result.records[0]!.unavailable
  for (const r of result.records) {
    const why = () => context(config, result, r.step)
    expect(r.unbudgeted, why()).toBe(0)
    expect(r.inFlight, why()).toBeLessThanOrEqual(result.maxUnavailable)
    if (r.outage) continue
    expect(r.unavailable, why()).toBeLessThanOrEqual(Math.max(result.maxUnavailable, atStart) + r.disrupted)
    if (r.inFlight > 0) expect(r.unavailable, why()).toBeLessThanOrEqual(result.maxUnavailable + r.disrupted)
  }
}

describe('a rolling fleet whose agents restart and whose tags lag', () => {
  it('never loses more than maxUnavailable to the rollout, and no restart lets a serving instance leave for free', () => {
    fc.assert(
      fc.property(configArb(), (config) => expectGateBound(config, simulate(config))),
      { numRuns: 200 },
    )
  })

  it('finishes the rollout once the restarts stop, with every tag written again', () => {
    fc.assert(
      fc.property(configArb({ kinds: HEALTHY, maxInstances: 12, failChance: fc.constant(0), steps: 2000 }), (config) => {
        const result = simulate(config)
        const last = result.records[result.records.length - 1]!
        expect(result.finished, context(config, result, last.step)).toBe(true)
        expectGateBound(config, result)
      }),
      { numRuns: 100 },
    )
  })
})

describe('a dependency outage', () => {
  it('never has more than maxUnavailable out of service for replacement', () => {
    fc.assert(
      fc.property(configArb({ kinds: ['serving-new'], failChance: fc.constant(0), outage: outageArb }), (config) => {
        const result = simulate(config)
        for (const r of result.records) {
          if (!r.outage) continue
          expect(r.outForReplacement, context(config, result, r.step)).toBeLessThanOrEqual(result.maxUnavailable + r.disrupted + r.degradedFreed)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('during a release: ends with every instance on the new revision', () => {
    fc.assert(
      fc.property(configArb({ kinds: HEALTHY, maxInstances: 12, failChance: fc.constant(0), outage: outageArb, steps: 2000 }), (config) => {
        const result = simulate(config)
        const last = result.records[result.records.length - 1]!
        expect(result.finished, context(config, result, last.step)).toBe(true)
        expectGateBound(config, result)
      }),
      { numRuns: 100 },
    )
  })

  it('during a release: never has more than maxUnavailable out of service for replacement', () => {
    fc.assert(
      fc.property(configArb({ kinds: ['serving-old', 'serving-old', 'serving-new'], failChance: fc.constant(0), outage: outageArb }), (config) => {
        const result = simulate(config)
        for (const r of result.records) {
          if (!r.outage) continue
          expect(r.outForReplacement, context(config, result, r.step)).toBeLessThanOrEqual(result.maxUnavailable + r.disrupted + r.degradedFreed)
        }
      }),
      { numRuns: 200 },
    )
  })
})
