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
 * The gate's bound, with what no agent chose allowed for (a host rebooted and not put back yet)
 * and what the known gap below lets go (crash-looping instances leaving through the gate).
 * Budgeted terminations in flight never exceed maxUnavailable, and no serving instance ever
 * leaves without the budget: a restarted agent that forgot its instance serves would take the
 * `not-ready` free pass.
 */
function expectGateBound(config: SimConfig, result: SimResult): void {
  const atStart = result.records[0]!.unavailable
  for (const r of result.records) {
    const why = () => context(config, result, r.step)
    expect(r.unbudgeted, why()).toBe(0)
    expect(r.inFlight, why()).toBeLessThanOrEqual(result.maxUnavailable)
    if (r.outage) continue
    const allowed = r.disrupted + r.degradedLeft
    expect(r.unavailable, why()).toBeLessThanOrEqual(Math.max(result.maxUnavailable, atStart) + allowed)
    if (r.inFlight > 0) expect(r.unavailable, why()).toBeLessThanOrEqual(result.maxUnavailable + allowed)
  }
}

/** During the outage, at most maxUnavailable slots out of service for replacement, plus what `also` names. */
function expectTurnBound(config: SimConfig, result: SimResult, also: (r: SimResult['records'][number]) => number): void {
  for (const r of result.records) {
    if (r.outage) expect(r.outForReplacement, context(config, result, r.step)).toBeLessThanOrEqual(result.maxUnavailable + r.disrupted + also(r))
  }
}

function expectFinished(config: SimConfig, result: SimResult): void {
  const last = result.records[result.records.length - 1]!
  expect(result.finished, context(config, result, last.step)).toBe(true)
}

describe('a rolling fleet whose agents restart and whose tags lag or get lost', () => {
  it('never loses more than maxUnavailable to the rollout, and no restart lets a serving instance leave for free', () => {
    fc.assert(
      fc.property(configArb(), (config) => expectGateBound(config, simulate(config))),
      { numRuns: 100 },
    )
  })

  it('finishes the rollout once the restarts stop: no instance is left draining, every tag written again', () => {
    fc.assert(
      fc.property(configArb({ kinds: HEALTHY, maxInstances: 12, failChance: fc.constant(0), steps: 2000 }), (config) => {
        const result = simulate(config)
        expectFinished(config, result)
        expectGateBound(config, result)
      }),
      { numRuns: 80 },
    )
  })
})

describe('a dependency outage that crash-loops every instance', () => {
  it('never has more than maxUnavailable out of service for replacement', () => {
    let replaced = 0
    fc.assert(
      fc.property(configArb({ kinds: ['serving-new'], failChance: fc.constant(0), outage: outageArb }), (config) => {
        const result = simulate(config)
        expectTurnBound(config, result, () => 0)
        if (result.records.some((r) => r.turns.length > 0)) replaced++
      }),
      { numRuns: 120 },
    )
    // Not vacuous: crash-looping instances did get their turns.
    expect(replaced).toBeGreaterThan(30)
  })

  it('during a release: ends with every instance on the new revision once it is over', () => {
    fc.assert(
      fc.property(configArb({ kinds: HEALTHY, maxInstances: 12, failChance: fc.constant(0), outage: outageArb, steps: 2000 }), (config) => {
        const result = simulate(config)
        expectFinished(config, result)
        expectGateBound(config, result)
      }),
      { numRuns: 80 },
    )
  })

  it('during a release: never has more than maxUnavailable out of service for replacement, but for crash-looping instances the gate let go', () => {
    fc.assert(
      fc.property(configArb({ kinds: ['serving-old', 'serving-old', 'serving-new'], failChance: fc.constant(0), outage: outageArb }), (config) => {
        expectTurnBound(config, simulate(config), (r) => r.degradedLeft)
      }),
      { numRuns: 120 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Known gaps in src (reported, not fixed here). Each test pins a minimal trace of the overshoot;
// it fails once src closes the gap, and should then assert the bound instead.

const TWO_SERVING_OLD: SimConfig = {
  initial: [
    { kind: 'serving-old', launchedStepsAgo: 1, readyAfter: 1 },
    { kind: 'serving-old', launchedStepsAgo: 1, readyAfter: 1 },
  ],
  policy: { maxUnavailable: 1, warmupMs: 0 },
  staleness: 0,
  selfKnowledge: 'own-state',
  checkChance: 0.3,
  bootSteps: { min: 1, max: 1 },
  failChance: 0,
  launchLag: 0,
  drainSteps: 0,
  steps: 60,
  seed: 0,
  chaos: { tagLag: { min: 0, max: 0 }, tagLoss: 0, restartChance: 0, interruptChance: 0, rebootChance: 0, until: 0, outage: { from: 0, to: 4 }, turnStaleness: 0, turnChance: 0.2 },
}

describe('known gaps', () => {
  it('the gate has no rule for a crash-looping (degraded) self: during a release and an outage, every old instance leaves', () => {
    // Both instances crash-loop at step 0. i-000's view still shows it ready, so it goes through
    // the budget; at step 2 i-001, degraded in its own view, takes the `not-ready` free pass.
    // Both slots are out for replacement with maxUnavailable 1, and their replacements cannot
    // get ready until the outage ends; the old instances would have recovered at step 4.
    const result = simulate(TWO_SERVING_OLD)
    const events = result.records.flatMap((r) => r.events)
    expect(events).toContain('i-000 gate: terminate within-budget (own state degraded, view 0 steps old shows ready Healthy)')
    expect(events).toContain('i-001 gate: terminate not-ready (own state degraded, view 0 steps old shows degraded Healthy)')
    const worst = Math.max(...result.records.filter((r) => r.outage).map((r) => r.outForReplacement))
    expect(worst).toBe(2)
    expect(result.records.find((r) => r.outForReplacement === 2)?.degradedLeft).toBe(2)
  })

  it('crash-loop turns overshoot when a view is read before a peer its own Unhealthy lands (here one step old)', () => {
    // Ten instances crash-loop at step 0; their degraded tags land at step 1 or 2. At step 2,
    // i-008 reads the view of step 1, where it is first of the 4 degraded instances; i-002 reads
    // the view of step 2, where all 10 are degraded and it is first. Neither view shows the
    // other going, so both set themselves Unhealthy, and their failing replacements keep 2 slots
    // out (maxUnavailable 1) for the whole outage. The real window is the time between an
    // agent's DescribeAutoScalingGroups and its SetInstanceHealth, at the outage's onset, when
    // every agent writes degraded and reads a view within the same second.
    const config: SimConfig = {
      ...TWO_SERVING_OLD,
      initial: Array.from({ length: 10 }, (_, i) => ({ kind: 'serving-new' as const, launchedStepsAgo: 1 + i, readyAfter: 1 })),
      checkChance: 0.5,
      seed: 7625,
      chaos: { ...TWO_SERVING_OLD.chaos!, tagLag: { min: 0, max: 1 }, outage: { from: 0, to: 30 }, turnStaleness: 1, turnChance: 0.5 },
    }
    const result = simulate(config)
    expect(result.records[2]!.turns).toEqual(['i-002', 'i-008'])
    expect(result.records.filter((r) => r.outage && r.step >= 3).every((r) => r.outForReplacement === 2)).toBe(true)
  })

  it('a host rebooted (a drain, not a termination) whose containers then crash-loop stays draining for good, and the release stalls', () => {
    // i-002's host reboots at step 0 and is back at step 3, its agent starting as `draining`
    // (boot.json) to put it back once healthy. Its containers crash-loop for a cause on that host:
    // `allowed('draining', 'degraded')` and `allowed('draining', 'failed')` are false, so the
    // agent neither takes a crash-loop turn nor fails: the instance stays InService, Healthy and
    // tagged draining, never replaced, one short for every peer; the gate tells it
    // `already-leaving`, and with maxUnavailable 1 the last old instance waits `no-budget` forever.
    const config: SimConfig = {
      ...TWO_SERVING_OLD,
      initial: Array.from({ length: 3 }, (_, i) => ({ kind: 'serving-old' as const, launchedStepsAgo: 1 + i, readyAfter: 1 })),
      checkChance: 0.5,
      steps: 300,
      chaos: { ...TWO_SERVING_OLD.chaos!, outage: undefined, rebootChance: 0.1, brokenAfterReboot: 1, until: 3, turnChance: 0.5 },
    }
    const result = simulate(config)
    const events = result.records.flatMap((r) => r.events)
    expect(events.filter((e) => e.includes('host reboots'))).toEqual(['i-002 host reboots'])
    expect(events).toContain('i-002 lifecycle stays draining: degraded does not follow it')
    expect(result.finished).toBe(false)
    expect(result.records.length).toBe(300)
    expect(result.records[299]).toMatchObject({ unavailable: 1, outForReplacement: 1 })
  })
})
