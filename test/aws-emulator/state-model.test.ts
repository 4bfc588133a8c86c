import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../support/aws-emulator/index.js'
import { EventFeed } from '../support/aws-emulator/events.js'
import { ApiError } from '../support/aws-emulator/model/api-error.js'
import { LAUNCHING, TERMINATING, type HookSpec } from '../support/aws-emulator/model/auto-scaling.js'
import { Region } from '../support/aws-emulator/model/region.js'

/** The state model alone: no HTTP, a manual clock, and a record of VM starts and deaths. */
function region(clock = new ManualClock()): { region: Region; clock: ManualClock; started: string[]; terminated: string[] } {
  const started: string[] = []
  const terminated: string[] = []
  const r = new Region({
    region: 'eu-west-1',
    accountId: '123456789012',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    clock,
    events: new EventFeed(),
    launchDelayMs: 0,
    lifecycle: { started: (i) => void started.push(i.instanceId), terminated: (i) => void terminated.push(i.instanceId) },
  })
  return { region: r, clock, started, terminated }
}

function group(r: Region, options: { desired: number; hooks?: HookSpec[]; zones?: string[] }) {
  const template = r.launchTemplates.create({ name: `t${Math.random()}`, imageId: 'ami-00000000000000001', instanceType: 't3.micro' })
  return r.autoScaling.createGroup({
    name: 'web',
    desired: options.desired,
    availabilityZones: options.zones ?? r.availabilityZones,
    launchTemplate: { id: template.id, version: '$Latest' },
    hooks: options.hooks,
  })
}

const states = (r: Region) => r.autoScaling.instances().map((m) => m.lifecycleState)

describe('ManualClock', () => {
  it('runs due timers on the next turn and future ones only when advanced, in order', async () => {
    const clock = new ManualClock(0)
    const ran: string[] = []
    clock.after(20, () => ran.push('b'))
    clock.after(10, () => ran.push('a'))
    clock.after(0, () => ran.push('now'))
    expect(ran).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(ran).toEqual(['now'])
    clock.advance(15)
    expect(ran).toEqual(['now', 'a'])
    expect(clock.now()).toBe(15)
    const cancelled = clock.after(1, () => ran.push('never'))
    cancelled.cancel()
    clock.advance(10)
    expect(ran).toEqual(['now', 'a', 'b'])
  })
})

describe('parameter store', () => {
  it('pages GetParametersByPath so that the pages join up to exactly the matching names, for any page size', () => {
    const segment = fc.constantFrom('a', 'b', 'c', 'web', 'x')
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`)
    fc.assert(fc.property(fc.uniqueArray(name, { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.constantFrom('/', '/a', '/a/b'), (names, pageSize, recursive, path) => {
      const { region: r } = region()
      for (const n of names) r.parameters.put({ name: n, value: 'v', type: 'String' })
      const seen: string[] = []
      let token: string | undefined
      do {
        const page = r.parameters.byPath(path, { recursive, maxResults: pageSize, nextToken: token })
        expect(page.parameters.length).toBeLessThanOrEqual(pageSize)
        seen.push(...page.parameters.map((p) => p.name))
        token = page.nextToken
      } while (token !== undefined)
      const prefix = path === '/' ? '/' : `${path}/`
      const expected = names.filter((n) => n.startsWith(prefix) && (recursive || !n.slice(prefix.length).includes('/'))).sort()
      expect(seen).toEqual(expected)
    }))
  })

  it('keeps history for version selectors and hides SecureString values unless decrypted', () => {
    const { region: r } = region()
    r.parameters.put({ name: '/s', value: 'one', type: 'SecureString' })
    r.parameters.put({ name: '/s', value: 'two', overwrite: true })
    expect(r.parameters.get('/s', true)).toMatchObject({ value: 'two', version: 2, type: 'SecureString' })
    expect(r.parameters.get('/s:1', true)).toMatchObject({ value: 'one', version: 1, selector: ':1' })
    expect(r.parameters.get('/s', false).value).not.toMatch(/one|two/)
    expect(() => r.parameters.get('/s:3', true)).toThrow(expect.objectContaining({ code: 'ParameterVersionNotFound' }) as ApiError)
  })
})

describe('Auto Scaling lifecycle', () => {
  it('waits for every launch hook to CONTINUE before InService', async () => {
    const { region: r } = region()
    group(r, { desired: 1, hooks: [{ name: 'one', transition: LAUNCHING }, { name: 'two', transition: LAUNCHING }] })
    await r.events.waitFor(() => states(r)[0] === 'Pending:Wait')
    const id = r.autoScaling.instances()[0]?.instance.instanceId ?? ''
    r.autoScaling.completeLifecycleAction({ groupName: 'web', hookName: 'one', instanceId: id, result: 'CONTINUE' })
    expect(states(r)).toEqual(['Pending:Wait'])
    r.autoScaling.completeLifecycleAction({ groupName: 'web', hookName: 'two', instanceId: id, result: 'CONTINUE' })
    await r.events.waitFor(() => states(r)[0] === 'InService')
  })

  it('sends a launch ABANDON through the terminate hook, and replaces the instance', async () => {
    const { region: r, terminated } = region()
    group(r, { desired: 1, hooks: [{ name: 'boot', transition: LAUNCHING }, { name: 'drain', transition: TERMINATING }] })
    await r.events.waitFor(() => states(r)[0] === 'Pending:Wait')
    const id = r.autoScaling.instances()[0]?.instance.instanceId ?? ''
    r.autoScaling.completeLifecycleAction({ groupName: 'web', hookName: 'boot', instanceId: id, result: 'ABANDON' })
    expect(r.autoScaling.membership(id)?.lifecycleState).toBe('Terminating:Wait')
    expect(r.autoScaling.instances().filter((m) => m.instance.instanceId !== id)).toHaveLength(1)
    r.autoScaling.completeLifecycleAction({ groupName: 'web', hookName: 'drain', instanceId: id, result: 'CONTINUE' })
    await r.events.waitFor(() => terminated.includes(id))
  })

  it('lets heartbeats extend a wait only up to the global timeout (100 × heartbeat)', async () => {
    const { region: r, clock } = region()
    group(r, { desired: 1, hooks: [{ name: 'boot', transition: LAUNCHING, heartbeatTimeoutSeconds: 30, defaultResult: 'CONTINUE' }] })
    await r.events.waitFor(() => states(r)[0] === 'Pending:Wait')
    const id = r.autoScaling.instances()[0]?.instance.instanceId ?? ''
    // A heartbeat every 29 s keeps the 30 s timer from firing, up to t = 2987 s...
    for (let t = 29; t < 3_000; t += 29) {
      clock.advance(29_000)
      expect(r.autoScaling.membership(id)?.lifecycleState).toBe('Pending:Wait')
      r.autoScaling.recordHeartbeat({ groupName: 'web', hookName: 'boot', instanceId: id })
    }
    // ...but not past the global timeout at 3000 s, where DefaultResult applies.
    clock.advance(12_000)
    expect(r.autoScaling.membership(id)?.lifecycleState).toBe('Pending:Wait')
    clock.advance(1_000)
    await r.events.waitFor(() => r.autoScaling.membership(id)?.lifecycleState === 'InService')
  })

  it('replaces an instance marked Unhealthy while Pending:Wait once it is InService', async () => {
    const { region: r, terminated } = region()
    group(r, { desired: 1, hooks: [{ name: 'boot', transition: LAUNCHING }] })
    await r.events.waitFor(() => states(r)[0] === 'Pending:Wait')
    const id = r.autoScaling.instances()[0]?.instance.instanceId ?? ''
    r.autoScaling.setInstanceHealth(id, 'Unhealthy')
    expect(r.autoScaling.membership(id)?.lifecycleState).toBe('Pending:Wait')
    r.autoScaling.completeLifecycleAction({ groupName: 'web', hookName: 'boot', instanceId: id, result: 'CONTINUE' })
    await r.events.waitFor(() => terminated.includes(id))
    expect(r.autoScaling.instances().map((m) => m.instance.instanceId)).not.toContain(id)
    expect(r.autoScaling.instances()).toHaveLength(1)
  })

  it('scales in from the busiest Availability Zone first', async () => {
    const { region: r } = region()
    group(r, { desired: 3 })
    await r.events.waitFor(() => states(r).filter((s) => s === 'InService').length === 3)
    const zones = () => r.autoScaling.instances().filter((m) => m.lifecycleState === 'InService').map((m) => m.instance.availabilityZone).sort()
    expect(zones()).toEqual(['eu-west-1a', 'eu-west-1a', 'eu-west-1b'])
    r.autoScaling.setDesiredCapacity('web', 2)
    await r.events.waitFor(() => r.autoScaling.instances().length === 2)
    expect(zones()).toEqual(['eu-west-1a', 'eu-west-1b'])
  })

  it('replaces a VM that dies without warning (no hooks run)', async () => {
    const { region: r, terminated } = region()
    group(r, { desired: 1, hooks: [{ name: 'drain', transition: TERMINATING }] })
    await r.events.waitFor(() => states(r)[0] === 'InService')
    const id = r.autoScaling.instances()[0]?.instance.instanceId ?? ''
    r.autoScaling.killInstance(id)
    expect(r.autoScaling.membership(id)?.lifecycleState).toBe('Terminated')
    expect(r.ec2.get(id)?.state).toBe('terminated')
    await r.events.waitFor(() => terminated.includes(id) && states(r)[0] === 'InService')
  })

  it('cancels every timer on dispose', async () => {
    const { region: r, clock } = region()
    group(r, { desired: 2, hooks: [{ name: 'boot', transition: LAUNCHING }] })
    await r.events.waitFor(() => states(r).every((s) => s === 'Pending:Wait') && states(r).length === 2)
    expect(clock.pendingTimers).toBe(2)
    r.dispose()
    expect(clock.pendingTimers).toBe(0)
  })
})
