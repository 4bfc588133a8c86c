import { describe, expect, it } from 'vitest'
import type { GroupView, InstanceView, RolloutPolicy } from '../../../src/core/rollout/group-view.js'
import {
  compareLaunchOrder,
  gate,
  isOutOfDate,
  isServing,
  outOfDateReasons,
  resolveMaxUnavailable,
  rolloutQueue,
  shortfall,
  type GateResult,
  type GateSelf,
} from '../../../src/core/rollout/gate.js'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)
const MIN = 60_000
const OLD = 'rev-old'
const NEW = 'rev-new'
const LT_OLD = { id: 'lt-0abc', version: '3' }
const LT_NEW = { id: 'lt-0abc', version: '4' }

/** A ready, warmed-up, out-of-date instance launched `minute` minutes into the day. */
function inst(id: string, minute: number, over: Partial<InstanceView> = {}): InstanceView {
  return {
    id,
    launchTime: NOW - 24 * 60 * MIN + minute * MIN,
    lifecycleState: 'InService',
    health: 'Healthy',
    state: 'ready',
    revision: OLD,
    readyAt: NOW - 12 * 60 * MIN,
    ...over,
  }
}

function current(id: string, minute: number, over: Partial<InstanceView> = {}): InstanceView {
  return inst(id, minute, { revision: NEW, ...over })
}

function without(instance: InstanceView, ...keys: ('state' | 'revision' | 'readyAt' | 'launchTemplate' | 'imageId')[]): InstanceView {
  const copy: Record<string, unknown> = { ...instance }
  for (const key of keys) delete copy[key]
  return copy as unknown as InstanceView
}

function group(desiredCapacity: number, instances: InstanceView[], over: Partial<GroupView> = {}): GroupView {
  return { name: 'web', desiredCapacity, instances, ...over }
}

function policy(maxUnavailable: RolloutPolicy['maxUnavailable'] = 1, warmupMs = 0): RolloutPolicy {
  return { maxUnavailable, warmupMs }
}

function me(instanceId: string, over: Partial<GateSelf> = {}): GateSelf {
  return { instanceId, revision: OLD, desiredRevision: NEW, state: 'ready', ...over }
}

/** Every instance's own answer, each agent knowing itself as the view shows it. */
function everyone(view: GroupView, p: RolloutPolicy, now = NOW): Map<string, GateResult> {
  return new Map(
    view.instances.map((i) => [i.id, gate(view, me(i.id, { revision: i.revision ?? OLD, state: i.state ?? 'booting' }), p, now)]),
  )
}

function terminating(results: Map<string, GateResult>): string[] {
  return [...results].filter(([, r]) => r.decision === 'terminate').map(([id]) => id).sort()
}

describe('outOfDateReasons', () => {
  const view = group(1, [], { currentLaunchTemplate: LT_NEW, currentImageId: 'ami-new' })

  it('is empty for an instance on the desired revision, template and image', () => {
    expect(outOfDateReasons(current('i-1', 0, { launchTemplate: LT_NEW, imageId: 'ami-new' }), NEW, view)).toEqual([])
  })

  it('names each difference', () => {
    expect(outOfDateReasons(inst('i-1', 0, { launchTemplate: LT_OLD, imageId: 'ami-old' }), NEW, view)).toEqual([
      'revision',
      'launch-template',
      'image',
    ])
    expect(outOfDateReasons(current('i-1', 0, { launchTemplate: { id: 'lt-other', version: '4' } }), NEW, view)).toEqual(['launch-template'])
    expect(outOfDateReasons(current('i-1', 0, { imageId: 'ami-old' }), NEW, view)).toEqual(['image'])
  })

  it('counts a missing revision tag as a different revision', () => {
    expect(outOfDateReasons(without(current('i-1', 0), 'revision'), NEW, view)).toEqual(['revision'])
  })

  it('ignores a template or image that either side does not name', () => {
    expect(isOutOfDate(current('i-1', 0), NEW, view)).toBe(false)
    expect(isOutOfDate(current('i-1', 0, { launchTemplate: LT_OLD, imageId: 'ami-old' }), NEW, group(1, []))).toBe(false)
  })
})

describe('resolveMaxUnavailable', () => {
  it('uses a count as given, rounded down, never below 0', () => {
    expect(resolveMaxUnavailable(policy(1), 10)).toBe(1)
    expect(resolveMaxUnavailable(policy(3), 2)).toBe(3)
    expect(resolveMaxUnavailable(policy(2.7), 10)).toBe(2)
    expect(resolveMaxUnavailable(policy(0), 10)).toBe(0)
    expect(resolveMaxUnavailable(policy(-1), 10)).toBe(0)
    expect(resolveMaxUnavailable(policy(Number.NaN), 10)).toBe(0)
  })

  it('takes a percentage of desired capacity, rounded down, at least 1', () => {
    const ten = policy({ percent: 10 })
    expect([0, 1, 5, 9, 10, 19, 20, 25, 100].map((d) => resolveMaxUnavailable(ten, d))).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 10])
    expect(resolveMaxUnavailable(policy({ percent: 50 }), 3)).toBe(1)
    expect(resolveMaxUnavailable(policy({ percent: 100 }), 7)).toBe(7)
    expect(resolveMaxUnavailable(policy({ percent: 33.3 }), 3)).toBe(1)
    expect(resolveMaxUnavailable(policy({ percent: 12.5 }), 16)).toBe(2)
  })

  it('is not fooled by binary fractions', () => {
    expect(resolveMaxUnavailable(policy({ percent: 9.2 }), 750)).toBe(69)
    expect(resolveMaxUnavailable(policy({ percent: 32.3 }), 1000)).toBe(323)
    expect(resolveMaxUnavailable(policy({ percent: 7 }), 100)).toBe(7)
    expect(resolveMaxUnavailable(policy({ percent: 0.1 }), 3000)).toBe(3)
  })

  it('caps a percentage at 100 and reads nonsense as the minimum', () => {
    expect(resolveMaxUnavailable(policy({ percent: 150 }), 4)).toBe(4)
    expect(resolveMaxUnavailable(policy({ percent: 0 }), 40)).toBe(1)
    expect(resolveMaxUnavailable(policy({ percent: Number.NaN }), 40)).toBe(1)
  })
})

describe('shortfall', () => {
  it('is 0 when every desired instance serves', () => {
    expect(shortfall(group(3, [inst('a', 1), inst('b', 2), current('c', 3)]), policy(), NOW)).toBe(0)
  })

  it('counts instances that are not warmed up yet', () => {
    const view = group(2, [inst('a', 1), current('b', 2, { readyAt: NOW - 4 * MIN })])
    expect(shortfall(view, policy(1, 5 * MIN), NOW)).toBe(1)
    expect(shortfall(view, policy(1, 4 * MIN), NOW)).toBe(0)
    expect(shortfall(view, policy(1, 0), NOW)).toBe(0)
  })

  it('counts a ready instance without a readable ready-at as not warmed up, unless there is no warm-up', () => {
    const view = group(2, [inst('a', 1), without(current('b', 2), 'readyAt')])
    expect(shortfall(view, policy(1, 1), NOW)).toBe(1)
    expect(shortfall(view, policy(1, 0), NOW)).toBe(0)
  })

  it('counts a ready-at in the future (clock skew) as not warmed up', () => {
    expect(shortfall(group(1, [current('b', 2, { readyAt: NOW + 2000 })]), policy(1, 1000), NOW)).toBe(1)
  })

  it('counts unhealthy, booting, failed, unknown, pending and standby instances', () => {
    const view = group(7, [
      inst('a', 1, { health: 'Unhealthy' }),
      inst('b', 2, { state: 'booting' }),
      inst('c', 3, { state: 'failed' }),
      without(inst('d', 4), 'state'),
      current('e', 5, { lifecycleState: 'Pending:Wait' }),
      inst('f', 6, { lifecycleState: 'Standby' }),
      inst('g', 7),
    ])
    expect(shortfall(view, policy(), NOW)).toBe(6)
  })

  it('counts a terminating instance and its pending replacement as one missing slot', () => {
    const terminatingOnly = group(3, [inst('a', 1, { lifecycleState: 'Terminating:Wait', state: 'draining' }), inst('b', 2), inst('c', 3)])
    const withPending = group(3, [...terminatingOnly.instances, current('r', 60, { lifecycleState: 'Pending', state: 'booting' })])
    const goneWithPending = group(3, withPending.instances.slice(1))
    for (const view of [terminatingOnly, withPending, goneWithPending]) expect(shortfall(view, policy(), NOW)).toBe(1)
  })

  it('does not count an instance tagged draining that the group still shows InService', () => {
    expect(shortfall(group(2, [inst('a', 1, { state: 'draining' }), inst('b', 2)]), policy(), NOW)).toBe(1)
  })

  it('is never below 0: surplus instances buy no budget', () => {
    expect(shortfall(group(2, [inst('a', 1), inst('b', 2), inst('c', 3), inst('d', 4)]), policy(), NOW)).toBe(0)
    expect(shortfall(group(0, [inst('a', 1)]), policy(), NOW)).toBe(0)
  })
})

describe('gate: instances that never use the budget', () => {
  it('waits when this instance is not in the view', () => {
    const result = gate(group(2, [inst('a', 1), inst('b', 2)]), me('i-missing'), policy(), NOW)
    expect(result).toMatchObject({ decision: 'wait', code: 'not-in-view' })
    expect(result.reason).toContain('i-missing')
    expect(result.facts).toMatchObject({ desired: 2, serving: 2, shortfall: 0, budget: 1, queue: 2 })
    expect(result.facts.position).toBeUndefined()
  })

  it('stays when up to date, even in a group that is short', () => {
    const view = group(3, [current('a', 1)])
    expect(gate(view, me('a', { revision: NEW }), policy(), NOW)).toMatchObject({ decision: 'stay', code: 'up-to-date' })
  })

  it('judges its own revision by what it runs, not by its tag', () => {
    const view = group(2, [current('a', 1), current('b', 2)])
    const result = gate(view, me('a', { revision: OLD }), policy(), NOW)
    expect(result).toMatchObject({ decision: 'terminate', code: 'within-budget', facts: { position: 0, queue: 1, outOfDate: ['revision'] } })
  })

  it('is out of date by launch template alone', () => {
    const view = group(2, [current('a', 1, { launchTemplate: LT_OLD }), current('b', 2, { launchTemplate: LT_NEW })], { currentLaunchTemplate: LT_NEW })
    expect(gate(view, me('a', { revision: NEW }), policy(), NOW)).toMatchObject({
      decision: 'terminate',
      facts: { outOfDate: ['launch-template'] },
    })
    expect(gate(view, me('b', { revision: NEW }), policy(), NOW).decision).toBe('stay')
  })

  it('waits when already leaving', () => {
    for (const lifecycleState of ['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated', 'Detaching', 'Detached'] as const) {
      const view = group(2, [inst('a', 1, { lifecycleState }), inst('b', 2)])
      expect(gate(view, me('a'), policy(), NOW), lifecycleState).toMatchObject({ decision: 'wait', code: 'already-leaving' })
    }
    expect(gate(group(2, [inst('a', 1, { state: 'draining' }), inst('b', 2)]), me('a', { state: 'draining' }), policy(), NOW)).toMatchObject({
      code: 'already-leaving',
    })
    expect(gate(group(2, [inst('a', 1), inst('b', 2)]), me('a', { state: 'draining' }), policy(), NOW)).toMatchObject({ code: 'already-leaving' })
  })

  it('leaves Standby, quarantined and warm-pool instances alone', () => {
    for (const lifecycleState of ['Standby', 'EnteringStandby', 'Quarantined', 'Warmed:Running', 'Warmed:Stopped', 'Warmed:Pending:Wait'] as const) {
      const view = group(2, [inst('a', 1, { lifecycleState, state: 'booting' }), inst('b', 2)])
      expect(gate(view, me('a', { state: 'booting' }), policy(), NOW), lifecycleState).toMatchObject({ decision: 'wait', code: 'out-of-service' })
    }
  })

  it('lets an unhealthy out-of-date instance go, whatever the shortfall', () => {
    const view = group(4, [inst('a', 1, { health: 'Unhealthy' }), inst('b', 2, { state: 'failed' })])
    expect(gate(view, me('a'), policy(), NOW)).toMatchObject({ decision: 'terminate', code: 'unhealthy', facts: { shortfall: 4, budget: 0 } })
  })

  it('lets a booting, failed or untagged out-of-date instance go, whatever the shortfall', () => {
    const view = group(5, [
      inst('a', 1, { lifecycleState: 'Pending:Wait', state: 'booting' }),
      inst('b', 2, { state: 'failed' }),
      without(inst('c', 3, { lifecycleState: 'Pending' }), 'state', 'revision'),
      inst('d', 4, { state: 'booting' }),
    ])
    expect(gate(view, me('a', { state: 'booting' }), policy(), NOW)).toMatchObject({ decision: 'terminate', code: 'not-ready' })
    expect(gate(view, me('b', { state: 'failed' }), policy(), NOW)).toMatchObject({ decision: 'terminate', code: 'not-ready' })
    expect(gate(view, me('c', { state: 'booting' }), policy(), NOW)).toMatchObject({ decision: 'terminate', code: 'not-ready' })
    expect(gate(view, me('d', { state: 'booting' }), policy(), NOW)).toMatchObject({ decision: 'terminate', code: 'not-ready' })
  })

  it('waits for a fresher view when the view has not caught up with this instance being ready', () => {
    const booting = group(2, [inst('a', 1, { lifecycleState: 'Pending:Wait', state: 'booting' }), inst('b', 2)])
    expect(gate(booting, me('a', { state: 'ready' }), policy(), NOW)).toMatchObject({ decision: 'wait', code: 'stale-view' })
    const untagged = group(2, [without(inst('a', 1), 'state'), inst('b', 2)])
    expect(gate(untagged, me('a', { state: 'ready' }), policy(), NOW)).toMatchObject({ decision: 'wait', code: 'stale-view' })
  })

  it('uses the budget when the view says ready, even if the agent thinks otherwise', () => {
    const view = group(2, [inst('a', 1), inst('b', 2, { state: 'booting' })])
    expect(gate(view, me('a', { state: 'failed' }), policy(), NOW)).toMatchObject({ decision: 'wait', code: 'no-budget' })
  })
})

describe('gate: the budget', () => {
  it('lets the only instance of a group of one go with maxUnavailable 1', () => {
    const result = gate(group(1, [inst('a', 1)]), me('a'), policy(1), NOW)
    expect(result).toMatchObject({ decision: 'terminate', code: 'within-budget', facts: { desired: 1, shortfall: 0, budget: 1, position: 0 } })
    expect(result.reason).toBe('out of date (revision) and 1st of 1 in line; 1 may go now (0 short of 1 serving, at most 1 may be)')
  })

  it('lets it go with 10% too: a percentage is at least 1', () => {
    expect(gate(group(1, [inst('a', 1)]), me('a'), policy({ percent: 10 }), NOW).decision).toBe('terminate')
  })

  it('freezes with maxUnavailable 0', () => {
    expect(gate(group(3, [inst('a', 1), inst('b', 2), inst('c', 3)]), me('a'), policy(0), NOW)).toMatchObject({ code: 'no-budget' })
  })

  it('lets the first of a group scaled to 0 go, one at a time', () => {
    const view = group(0, [inst('a', 1), inst('b', 2)])
    expect(terminating(everyone(view, policy()))).toEqual(['a'])
  })

  it('lets the first maxUnavailable go, in launch order, when all are out of date', () => {
    const view = group(10, Array.from({ length: 10 }, (_, n) => inst(`i-${n}`, 10 - n)))
    const results = everyone(view, policy(3))
    expect(terminating(results)).toEqual(['i-7', 'i-8', 'i-9'])
    expect(results.get('i-6')).toMatchObject({ decision: 'wait', code: 'queued', facts: { position: 3, budget: 3, queue: 10 } })
    expect(results.get('i-6')!.reason).toBe(
      'out of date (revision), 4th of 10 in line; only the first 3 may go now (0 short of 10 serving, at most 3 may be)',
    )
  })

  it('breaks launch-time ties by instance id', () => {
    const view = group(3, [inst('i-c', 5), inst('i-a', 5), inst('i-b', 5)])
    expect(terminating(everyone(view, policy(1)))).toEqual(['i-a'])
    expect(rolloutQueue(view, NEW).map((i) => i.id)).toEqual(['i-a', 'i-b', 'i-c'])
    expect(compareLaunchOrder(inst('x', 1), inst('x', 1))).toBe(0)
  })

  it('puts an unreadable launch time first', () => {
    const view = group(2, [inst('i-a', 1), inst('i-b', 2, { launchTime: Number.NaN })])
    expect(rolloutQueue(view, NEW).map((i) => i.id)).toEqual(['i-b', 'i-a'])
  })

  it('gives the same answer whatever order the view lists instances in', () => {
    const instances = [inst('a', 4), inst('b', 2), current('c', 9), inst('d', 1), inst('e', 3, { state: 'booting' })]
    const forward = everyone(group(5, instances), policy(2))
    const backward = everyone(group(5, [...instances].reverse()), policy(2))
    expect(forward).toEqual(backward)
    expect(terminating(forward)).toEqual(['d', 'e'])
  })

  it('takes a percentage of desired capacity', () => {
    const view = group(20, Array.from({ length: 20 }, (_, n) => inst(`i-${String(n).padStart(2, '0')}`, n)))
    expect(terminating(everyone(view, policy({ percent: 10 })))).toEqual(['i-00', 'i-01'])
    expect(terminating(everyone(view, policy({ percent: 14 })))).toEqual(['i-00', 'i-01'])
    expect(terminating(everyone(view, policy({ percent: 15 })))).toEqual(['i-00', 'i-01', 'i-02'])
  })

  it('skips up-to-date instances in the queue', () => {
    const view = group(4, [current('a', 1), current('b', 2), inst('c', 3), inst('d', 4)])
    expect(terminating(everyone(view, policy(1)))).toEqual(['c'])
  })

  it('waits while a replacement is warming up', () => {
    const view = group(3, [current('r', 50, { readyAt: NOW - 2 * MIN }), inst('b', 2), inst('c', 3)])
    expect(gate(view, me('b'), policy(1, 5 * MIN), NOW)).toMatchObject({ decision: 'wait', code: 'no-budget', facts: { shortfall: 1 } })
    expect(gate(view, me('b'), policy(1, 5 * MIN), NOW + 3 * MIN)).toMatchObject({ decision: 'terminate', facts: { shortfall: 0 } })
  })

  it('keeps a ready instance whose ready-at is missing in the shortfall while there is a warm-up', () => {
    const view = group(3, [without(current('r', 50), 'readyAt'), inst('b', 2), inst('c', 3)])
    expect(gate(view, me('b'), policy(1, MIN), NOW).code).toBe('no-budget')
    expect(gate(view, me('b'), policy(1, 0), NOW).code).toBe('within-budget')
  })

  it('counts unhealthy ready instances as missing', () => {
    const view = group(3, [current('r', 50, { health: 'Unhealthy' }), inst('b', 2), inst('c', 3)])
    expect(gate(view, me('b'), policy(1), NOW).code).toBe('no-budget')
    expect(gate(view, me('b'), policy(2), NOW)).toMatchObject({ decision: 'terminate', facts: { shortfall: 1, budget: 1 } })
  })

  it('queues an out-of-date instance that is ready but not warmed up, ahead of later ones', () => {
    const view = group(4, [inst('a', 1, { readyAt: NOW - MIN }), inst('b', 2), inst('c', 3), inst('d', 4)])
    const results = everyone(view, policy(2, 5 * MIN))
    expect(terminating(results)).toEqual(['a'])
    expect(results.get('b')).toMatchObject({ code: 'queued', facts: { shortfall: 1, budget: 1, position: 1 } })
  })

  it('queues an instance tagged ready whose launch hook is still pending, though it does not serve yet', () => {
    const view = group(3, [inst('a', 1, { lifecycleState: 'Pending:Wait' }), inst('b', 2), inst('c', 3)])
    const results = everyone(view, policy(2))
    expect(terminating(results)).toEqual(['a'])
    expect(results.get('a')).toMatchObject({ code: 'within-budget', facts: { shortfall: 1, budget: 1 } })
    expect(isServing(view.instances[0]!, policy(), NOW)).toBe(false)
  })

  describe('the termination race', () => {
    const a = inst('a', 1)
    const b = inst('b', 2)
    const c = inst('c', 3)
    const leaving = inst('a', 1, { lifecycleState: 'Terminating:Wait', state: 'draining' })
    const pending = current('r', 60, { lifecycleState: 'Pending', state: 'booting', readyAt: NOW })
    const booted = current('r', 60, { readyAt: NOW })

    it('every agent picks the same one from the same view', () => {
      expect(terminating(everyone(group(3, [a, b, c]), policy(1)))).toEqual(['a'])
    })

    it('an agent whose view predates the termination still picks the same one', () => {
      expect(gate(group(3, [a, b, c]), me('b'), policy(1), NOW + MIN)).toMatchObject({ code: 'queued', facts: { position: 1 } })
    })

    it('nobody goes while the terminating instance has no replacement, or a pending one, or one warming up', () => {
      const w = policy(1, 5 * MIN)
      for (const view of [group(3, [leaving, b, c]), group(3, [leaving, b, c, pending]), group(3, [b, c, pending]), group(3, [leaving, b, c, booted])]) {
        expect(terminating(everyone(view, w))).toEqual([])
        expect(gate(view, me('b'), w, NOW)).toMatchObject({ code: 'no-budget', facts: { shortfall: 1 } })
      }
    })

    it('the next one goes once the replacement serves, even while the old one still drains', () => {
      const view = group(3, [leaving, b, c, booted])
      expect(terminating(everyone(view, policy(1, 5 * MIN), NOW + 5 * MIN))).toEqual(['b'])
    })

    it('an instance tagged draining but still InService has used its budget', () => {
      const view = group(3, [inst('a', 1, { state: 'draining' }), b, c])
      expect(terminating(everyone(view, policy(1)))).toEqual([])
    })
  })

  it('says how far behind it is in words', () => {
    const view = group(30, Array.from({ length: 30 }, (_, n) => inst(`i-${String(n).padStart(2, '0')}`, n)))
    const reasons = ['i-01', 'i-02', 'i-10', 'i-11', 'i-12', 'i-20', 'i-21', 'i-22'].map((id) => gate(view, me(id), policy(1), NOW).reason)
    expect(reasons.map((r) => /, (\d+\w\w) of 30/.exec(r)?.[1])).toEqual(['2nd', '3rd', '11th', '12th', '13th', '21st', '22nd', '23rd'])
  })
})
