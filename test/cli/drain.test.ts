import { describe, expect, it } from 'vitest'
import { drain } from '../../src/cli/drain.js'
import { leaveGate } from '../../src/core/rollout/gate.js'
import type { BootRecord } from '../../src/ports/boot-record.js'
import type { StatusReport } from '../../src/ports/status-store.js'
import { FakeFleet } from '../support/fake-aws.js'
import { ManualClock } from '../support/manual-clock.js'

const record: BootRecord = { instanceId: 'i-0123', group: 'web-asg', service: 'web', manifest: { value: 'containers: { app: { image: app:1 } }\nrollout: { maxUnavailable: 1 }', version: 1 }, parameterVersions: {} }
const report = { pid: 4242, instanceId: 'i-0123', service: 'web', revision: 'r', state: 'ready', since: 0, updatedAt: 0, containers: [] } satisfies StatusReport

function env(fleet: FakeFleet, options: { alive?: boolean; record?: BootRecord | undefined } = {}) {
  const out: string[] = []
  const clock = new ManualClock()
  return {
    out,
    clock,
    env: {
      bootRecord: { read: async () => ('record' in options ? options.record : record), write: async () => undefined },
      status: { read: async () => report, write: async () => undefined },
      alive: () => options.alive ?? true,
      fleet: async () => fleet,
      clock,
      out: (line: string) => void out.push(line),
      pollMs: 1_000,
    },
  }
}

describe('deckhand drain', () => {
  it('waits while the group is already short, saying why once, then asks the group to replace the instance', async () => {
    const fleet = new FakeFleet('i-0123')
    fleet.tags.set('i-0123', { 'deckhand:state': 'ready' })
    fleet.info = { ...fleet.info, desiredCapacity: 2 }
    fleet.others = [{ id: 'i-new', launchTime: 5, lifecycleState: 'Pending:Wait', health: 'Healthy', state: 'booting' }]
    const t = env(fleet)
    const done = drain({}, t.env)
    for (let i = 0; i < 3; i++) await t.clock.advance(1_000)
    expect(fleet.calls).not.toContain('terminate')
    expect(t.out).toEqual(['waiting: the group is already 1 short of 2 serving, at most 1 may be; waiting until a replacement serves (Ctrl-C stops waiting; --now does not wait).'])
    fleet.others = [{ id: 'i-new', launchTime: 5, lifecycleState: 'InService', health: 'Healthy', state: 'ready' }]
    await t.clock.advance(1_000)
    expect(await done).toBe(0)
    expect(fleet.calls.at(-1)).toBe('terminate')
    expect(t.out.at(-1)).toMatch(/^Asked group web-asg to replace i-0123; its agent drains it now/)
  })

  it('with --now, does not wait', async () => {
    const fleet = new FakeFleet('i-0123')
    const t = env(fleet)
    expect(await drain({ now: true }, t.env)).toBe(0)
    expect(fleet.calls).toEqual(['terminate'])
  })

  it('refuses, in one sentence, when no agent runs to drain the instance', async () => {
    await expect(drain({ now: true }, env(new FakeFleet('i-0123'), { alive: false }).env)).rejects.toThrow(/^The deckhand agent of i-0123 is not running, and only it can drain the instance; start it/)
    await expect(drain({ now: true }, env(new FakeFleet('i-0123'), { record: undefined }).env)).rejects.toThrow(/^No agent has booted this instance/)
  })
})

describe('leaveGate', () => {
  it('lets an instance that serves nothing leave at once', () => {
    const view = { name: 'g', desiredCapacity: 1, instances: [{ id: 'i-1', launchTime: 0, lifecycleState: 'InService' as const, health: 'Healthy' as const, state: 'degraded' as const }] }
    expect(leaveGate(view, 'i-1', { maxUnavailable: 1, warmupMs: 0 }, 0).decision).toBe('leave')
  })
})
