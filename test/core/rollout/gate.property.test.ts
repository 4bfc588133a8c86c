import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { gate, isServing, resolveMaxUnavailable, rolloutQueue, shortfall, type GateResult } from '../../../src/core/rollout/gate.js'
import {
  TAG_STATES,
  LIFECYCLE_STATES,
  type GroupView,
  type InstanceView,
  type RolloutPolicy,
} from '../../../src/core/rollout/group-view.js'
import { NEW, OLD, START, STEP_MS, simulate, type InitialInstance, type SimConfig, type SimResult } from './fleet-sim.js'

const MIN = 60_000

// ---------------------------------------------------------------------------------------------
// Many agents, one view.

const instanceArb = fc.record(
  {
    launchMinute: fc.integer({ min: 0, max: 20 }),
    lifecycleState: fc.oneof({ weight: 5, arbitrary: fc.constant('InService' as const) }, { weight: 2, arbitrary: fc.constantFrom(...LIFECYCLE_STATES) }),
    health: fc.oneof({ weight: 6, arbitrary: fc.constant('Healthy' as const) }, { weight: 1, arbitrary: fc.constant('Unhealthy' as const) }),
    state: fc.oneof({ weight: 5, arbitrary: fc.constant('ready' as const) }, { weight: 2, arbitrary: fc.constantFrom(...TAG_STATES) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    revision: fc.constantFrom(OLD, OLD, NEW, 'r-other', undefined),
    readyAgoMinutes: fc.oneof(fc.integer({ min: -2, max: 120 }), fc.constant(undefined)),
    launchTemplateVersion: fc.constantFrom('1', '2', undefined),
    imageId: fc.constantFrom('ami-1', 'ami-2', undefined),
  },
  { noNullPrototype: true },
)

const NOW = START

type RawInstance = typeof instanceArb extends fc.Arbitrary<infer T> ? T : never

function buildInstance(raw: RawInstance, id: string): InstanceView {
  return {
    id,
    launchTime: NOW - 60 * MIN + raw.launchMinute * MIN,
    lifecycleState: raw.lifecycleState,
    health: raw.health,
    ...(raw.state === undefined ? {} : { state: raw.state }),
    ...(raw.revision === undefined ? {} : { revision: raw.revision }),
    ...(raw.readyAgoMinutes === undefined ? {} : { readyAt: NOW - raw.readyAgoMinutes * MIN }),
    ...(raw.launchTemplateVersion === undefined ? {} : { launchTemplate: { id: 'lt-1', version: raw.launchTemplateVersion } }),
    ...(raw.imageId === undefined ? {} : { imageId: raw.imageId }),
  }
}

const policyArb: fc.Arbitrary<RolloutPolicy> = fc.record({
  maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.record({ percent: fc.double({ min: 0, max: 100, noNaN: true }) })),
  warmupMs: fc.constantFrom(0, MIN, 10 * MIN),
})

const scenarioArb = fc
  .record({
    raws: fc.array(instanceArb, { minLength: 0, maxLength: 30, size: 'max' }),
    desired: fc.integer({ min: 0, max: 35 }),
    currentLaunchTemplateVersion: fc.constantFrom('1', '2', undefined),
    currentImageId: fc.constantFrom('ami-1', 'ami-2', undefined),
    policy: policyArb,
    seed: fc.integer(),
  })
  .chain((s) =>
    fc.record({
      ids: fc.uniqueArray(fc.stringMatching(/^i-[0-9a-f]{3}$/), { minLength: s.raws.length, maxLength: s.raws.length }),
      agents: fc.shuffledSubarray(s.raws.map((_, n) => n)),
      scenario: fc.constant(s),
    }),
  )
  .map(({ ids, agents, scenario }) => {
    const instances = scenario.raws.map((raw, n) => buildInstance(raw, ids[n]!))
    const view: GroupView = {
      name: 'web',
      desiredCapacity: scenario.desired,
      instances,
      ...(scenario.currentLaunchTemplateVersion === undefined ? {} : { currentLaunchTemplate: { id: 'lt-1', version: scenario.currentLaunchTemplateVersion } }),
      ...(scenario.currentImageId === undefined ? {} : { currentImageId: scenario.currentImageId }),
    }
    return { view, policy: scenario.policy, agents: agents.map((n) => instances[n]!) }
  })

/** The agent on `instance`, knowing itself exactly as the view shows it (a fresh view). */
function decide(view: GroupView, instance: InstanceView, policy: RolloutPolicy): GateResult {
  return gate(view, { instanceId: instance.id, revision: instance.revision ?? OLD, desiredRevision: NEW, state: instance.state ?? 'booting' }, policy, NOW)
}

describe('many agents on one view', () => {
  it('never let more serving instances go than the budget, and agree on who goes', () => {
    fc.assert(
      fc.property(scenarioArb, ({ view, policy, agents }) => {
        const maxUnavailable = resolveMaxUnavailable(policy, view.desiredCapacity)
        const short = shortfall(view, policy, NOW)
        const budget = Math.max(0, maxUnavailable - short)
        const queue = rolloutQueue(view, NEW).map((i) => i.id)
        const results = agents.map((a) => [a, decide(view, a, policy)] as const)

        const viaBudget = results.filter(([, r]) => r.decision === 'terminate' && r.code === 'within-budget')
        expect(viaBudget.length).toBeLessThanOrEqual(budget)
        for (const [a, r] of viaBudget) {
          expect(r.facts.position).toBeLessThan(budget)
          expect(queue.indexOf(a.id)).toBe(r.facts.position)
        }
        // Whoever goes without the budget serves nothing.
        for (const [a, r] of results) if (r.decision === 'terminate' && r.code !== 'within-budget') expect(isServing(a, policy, NOW)).toBe(false)

        // So the group is never more than maxUnavailable short because of the rollout.
        const lost = results.filter(([a, r]) => r.decision === 'terminate' && isServing(a, policy, NOW)).length
        expect(lost).toBeLessThanOrEqual(budget)
        const servingAfter = view.instances.filter((i) => isServing(i, policy, NOW)).length - lost
        expect(Math.max(0, view.desiredCapacity - servingAfter)).toBeLessThanOrEqual(Math.max(short, maxUnavailable))

        // Everyone reads the same numbers.
        for (const [, r] of results) {
          expect(r.facts).toMatchObject({ shortfall: short, budget, maxUnavailable, queue: queue.length })
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('give each agent the same answer whatever order the view lists instances in', () => {
    const withReordering = scenarioArb.chain((s) =>
      fc
        .shuffledSubarray([...s.view.instances], { minLength: s.view.instances.length, maxLength: s.view.instances.length })
        .map((instances) => ({ ...s, reordered: { ...s.view, instances } })),
    )
    fc.assert(
      fc.property(withReordering, ({ view, reordered, policy, agents }) => {
        for (const a of agents) expect(decide(reordered, a, policy)).toEqual(decide(view, a, policy))
      }),
      { numRuns: 500 },
    )
  })

  it('give the set of agents that go, whatever subset runs and in whatever order', () => {
    fc.assert(
      fc.property(scenarioArb, ({ view, policy, agents }) => {
        const everyone = new Set(view.instances.filter((i) => decide(view, i, policy).decision === 'terminate').map((i) => i.id))
        const some = agents.filter((a) => decide(view, a, policy).decision === 'terminate').map((a) => a.id)
        expect(some.every((id) => everyone.has(id))).toBe(true)
        expect(some.length).toBe(agents.filter((a) => everyone.has(a.id)).length)
      }),
      { numRuns: 500 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Many agents over time, on views up to k steps old.

const initialArb: fc.Arbitrary<InitialInstance> = fc.record({
  kind: fc.oneof(
    { weight: 8, arbitrary: fc.constant('serving-old' as const) },
    { weight: 1, arbitrary: fc.constant('serving-new' as const) },
    { weight: 1, arbitrary: fc.constant('unwarmed-old' as const) },
    { weight: 1, arbitrary: fc.constant('no-ready-at-old' as const) },
    { weight: 3, arbitrary: fc.constant('booting-old' as const) },
    { weight: 1, arbitrary: fc.constant('booting-new' as const) },
    { weight: 1, arbitrary: fc.constant('failed-old' as const) },
  ),
  launchedStepsAgo: fc.integer({ min: 1, max: 12 }),
  readyAfter: fc.integer({ min: 1, max: 8 }),
})

function simArb(over: { staleness?: fc.Arbitrary<number>; selfKnowledge?: SimConfig['selfKnowledge']; healthy?: boolean; maxInstances?: number } = {}): fc.Arbitrary<SimConfig> {
  const kinds = over.healthy ? initialArb.filter((i) => i.kind !== 'no-ready-at-old') : initialArb
  return fc.record({
    initial: fc.array(kinds, { minLength: 1, maxLength: over.maxInstances ?? 30, size: 'max' }),
    policy: fc.record({
      maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.record({ percent: fc.integer({ min: 1, max: 60 }) })),
      warmupMs: fc.constantFrom(0, STEP_MS, 3 * STEP_MS),
    }),
    staleness: over.staleness ?? fc.integer({ min: 0, max: 4 }),
    selfKnowledge: fc.constant(over.selfKnowledge ?? 'own-state'),
    checkChance: fc.double({ min: 0.3, max: 1, noNaN: true }),
    bootSteps: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([min, span]) => ({ min, max: min + span })),
    failChance: over.healthy ? fc.constant(0) : fc.constantFrom(0, 0, 0.2, 1),
    launchLag: fc.integer({ min: 0, max: 1 }),
    drainSteps: fc.integer({ min: 0, max: 3 }),
    steps: fc.constant(over.healthy ? 3000 : 300),
    seed: fc.integer(),
  })
}

/**
 * The bound the gate keeps: the group is never more short than it was at the start or than
 * maxUnavailable, and never more than maxUnavailable short while a budgeted termination is in
 * flight. `slack` is extra capacity the rule is allowed to lose at a step.
 */
function expectBounded(result: SimResult, slack: (unbudgeted: number) => number = () => 0): void {
  const atStart = result.records[0]!.unavailable
  for (const r of result.records) {
    const extra = slack(r.unbudgeted)
    expect(r.unavailable, `step ${r.step}`).toBeLessThanOrEqual(Math.max(result.maxUnavailable, atStart) + extra)
    if (r.inFlight > 0) expect(r.unavailable, `step ${r.step}, ${r.inFlight} in flight`).toBeLessThanOrEqual(result.maxUnavailable + extra)
    if (extra === 0) expect(r.unbudgeted).toBe(0)
  }
}

describe('a rolling fleet', () => {
  it('with fresh views, never loses more than maxUnavailable, even as the rule is written in SPEC §5', () => {
    for (const selfKnowledge of ['own-state', 'view-only'] as const) {
      fc.assert(
        fc.property(simArb({ staleness: fc.constant(0), selfKnowledge }), (config) => expectBounded(simulate(config))),
        { numRuns: 150 },
      )
    }
  })

  it('with views up to 4 steps old, never loses more than maxUnavailable when agents know their own state', () => {
    fc.assert(
      fc.property(simArb({ staleness: fc.integer({ min: 1, max: 4 }) }), (config) => expectBounded(simulate(config))),
      { numRuns: 300 },
    )
  })

  it('with stale views and only the view to go by, the rule as written overshoots', () => {
    const outcome = fc.check(
      fc.property(simArb({ staleness: fc.integer({ min: 1, max: 4 }), selfKnowledge: 'view-only' }), (config) => expectBounded(simulate(config))),
      { numRuns: 1000, seed: 20261123, endOnFailure: true },
    )
    expect(outcome.failed).toBe(true)
    // The culprit is always an old instance that got ready late and read a view from before.
    const [config] = outcome.counterexample!
    expect(config.initial.some((i) => i.kind === 'booting-old')).toBe(true)
  })

  it('finishes the rollout when new instances get ready, however stale the views', () => {
    fc.assert(
      fc.property(simArb({ healthy: true, maxInstances: 15 }), (config) => {
        const result = simulate(config)
        expect(result.finished).toBe(true)
        expectBounded(result)
      }),
      { numRuns: 150 },
    )
  })

  it('stalls a release whose new instances never get ready, losing at most maxUnavailable', () => {
    fc.assert(
      fc.property(simArb(), (config) => {
        const result = simulate({ ...config, initial: config.initial.map((i) => ({ ...i, kind: 'serving-old' as const })), failChance: 1 })
        expectBounded(result)
        expect(result.finished).toBe(false)
        const last = result.records[result.records.length - 1]!
        expect(last.unavailable).toBeLessThanOrEqual(result.maxUnavailable)
      }),
      { numRuns: 150 },
    )
  })
})

describe('the overshoot, by hand', () => {
  // Two old instances, maxUnavailable 1. `p` booted slowly on the old revision and has just got
  // ready; `a`'s agent reads a fresh view, `p`'s agent an older one that still shows it booting.
  const policy: RolloutPolicy = { maxUnavailable: 1, warmupMs: 0 }
  const a: InstanceView = { id: 'i-a', launchTime: NOW - 20 * MIN, lifecycleState: 'InService', health: 'Healthy', state: 'ready', revision: OLD, readyAt: NOW - 19 * MIN }
  const pBooting: InstanceView = { id: 'i-p', launchTime: NOW - 10 * MIN, lifecycleState: 'Pending:Wait', health: 'Healthy', state: 'booting' }
  const pReady: InstanceView = { ...pBooting, lifecycleState: 'InService', state: 'ready', revision: OLD, readyAt: NOW - 5000 }
  const before: GroupView = { name: 'web', desiredCapacity: 2, instances: [a, pBooting] }
  const after: GroupView = { name: 'web', desiredCapacity: 2, instances: [a, pReady] }
  const self = { instanceId: 'i-p', revision: OLD, desiredRevision: NEW }

  it('a goes, rightly, on the fresh view', () => {
    expect(gate(after, { ...self, instanceId: 'i-a', state: 'ready' }, policy, NOW)).toMatchObject({ decision: 'terminate', code: 'within-budget' })
  })

  it('p would go too, for free, if it believed the stale view about itself: both serving instances gone', () => {
    expect(gate(before, { ...self, state: 'booting' }, policy, NOW)).toMatchObject({ decision: 'terminate', code: 'not-ready' })
  })

  it('p knows it is ready, so it waits for a fresher view instead', () => {
    expect(gate(before, { ...self, state: 'ready' }, policy, NOW)).toMatchObject({ decision: 'wait', code: 'stale-view' })
    expect(gate(after, { ...self, state: 'ready' }, policy, NOW)).toMatchObject({ decision: 'wait', code: 'queued', facts: { position: 1 } })
  })
})

describe('a rollback while agents disagree about the desired revision', () => {
  // r1 was released, then the version was set back to r0. `x` (on r0) has not re-read SSM yet and
  // still wants r1; `y` (on r1) has, and wants r0. Each sees only its own kind in the queue.
  const policy: RolloutPolicy = { maxUnavailable: 1, warmupMs: 0 }
  const ready = { lifecycleState: 'InService', health: 'Healthy', state: 'ready', readyAt: NOW - 30 * MIN } as const
  const view: GroupView = {
    name: 'web',
    desiredCapacity: 3,
    instances: [
      { id: 'i-x', launchTime: NOW - 60 * MIN, revision: 'r0', ...ready },
      { id: 'i-z', launchTime: NOW - 59 * MIN, revision: 'r0', ...ready },
      { id: 'i-y', launchTime: NOW - 40 * MIN, revision: 'r1', ...ready },
    ],
  }

  it('can spend the budget once per belief, for as long as the disagreement lasts (one drift interval)', () => {
    const x = gate(view, { instanceId: 'i-x', revision: 'r0', desiredRevision: 'r1', state: 'ready' }, policy, NOW)
    const y = gate(view, { instanceId: 'i-y', revision: 'r1', desiredRevision: 'r0', state: 'ready' }, policy, NOW)
    expect([x.decision, y.decision]).toEqual(['terminate', 'terminate'])
  })

  it('cannot once they agree', () => {
    const x = gate(view, { instanceId: 'i-x', revision: 'r0', desiredRevision: 'r0', state: 'ready' }, policy, NOW)
    const y = gate(view, { instanceId: 'i-y', revision: 'r1', desiredRevision: 'r0', state: 'ready' }, policy, NOW)
    expect([x.decision, y.decision]).toEqual(['stay', 'terminate'])
  })
})
