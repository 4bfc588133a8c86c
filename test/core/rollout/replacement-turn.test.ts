import { describe, expect, it } from 'vitest'
import { outForReplacement, replacementTurn } from '../../../src/core/rollout/replacement-turn.js'
import type { GroupView, InstanceView } from '../../../src/core/rollout/group-view.js'

const instance = (id: string, launchTime: number, extra: Partial<InstanceView> = {}): InstanceView => ({ id, launchTime, lifecycleState: 'InService', health: 'Healthy', state: 'degraded', ...extra })
const view = (instances: InstanceView[], desiredCapacity = instances.length): GroupView => ({ name: 'g', desiredCapacity, instances })

describe('replacementTurn', () => {
  it('lets the first maxUnavailable degraded instances go, in launch order, when nothing else is out', () => {
    const all = [instance('i-c', 3), instance('i-a', 1), instance('i-b', 2)]
    const policy = { maxUnavailable: 1 }
    expect(replacementTurn(view(all), { instanceId: 'i-a' }, policy).decision).toBe('replace')
    expect(replacementTurn(view(all), { instanceId: 'i-b' }, policy).decision).toBe('wait')
    expect(replacementTurn(view(all), { instanceId: 'i-b' }, { maxUnavailable: 2 }).decision).toBe('replace')
  })

  it('counts Unhealthy, leaving, not-yet-ready and missing instances as out of service for replacement', () => {
    const out = [
      instance('i-1', 1, { health: 'Unhealthy' }),
      instance('i-2', 2, { lifecycleState: 'Terminating:Wait' }),
      instance('i-3', 3, { state: 'draining' }),
      instance('i-4', 4, { lifecycleState: 'Pending:Wait', state: 'booting' }),
      instance('i-5', 5, { state: 'failed' }),
      instance('i-6', 6, { state: 'ready' }),
      instance('i-7', 7),
    ]
    expect(outForReplacement(view(out, 8))).toBe(6)
    const turn = replacementTurn(view(out, 8), { instanceId: 'i-7' }, { maxUnavailable: 6 })
    expect(turn).toMatchObject({ decision: 'wait', out: 6, maxUnavailable: 6 })
    expect(turn.reason).toMatch(/a shared dependency may be down/)
  })

  it('when every instance crash-loops, one batch goes and the rest wait until its replacements are ready', () => {
    const fleet = Array.from({ length: 10 }, (_, i) => instance(`i-${i}`, i))
    const policy = { maxUnavailable: 2 }
    const going = fleet.filter((i) => replacementTurn(view(fleet), { instanceId: i.id }, policy).decision === 'replace')
    expect(going.map((i) => i.id)).toEqual(['i-0', 'i-1'])
    // They are Unhealthy now and their replacements are booting (and crash-looping, never ready).
    const next = [...fleet.slice(2), instance('i-10', 10, { state: 'failed' }), instance('i-11', 11, { state: 'booting', lifecycleState: 'Pending:Wait' })]
    expect(next.filter((i) => replacementTurn(view(next), { instanceId: i.id }, policy).decision === 'replace')).toEqual([])
  })

  it('waits for a view that shows this instance degraded', () => {
    expect(replacementTurn(view([instance('i-1', 1, { state: 'ready' })]), { instanceId: 'i-1' }, { maxUnavailable: 1 }).decision).toBe('wait')
  })
})
