import { describe, expect, it } from 'vitest'
import { heartbeatEveryMs } from '../../../src/core/agent/agent.js'
import { MANIFEST, launchedFrom, setup, stateWrites } from './setup.js'

describe('Agent', () => {
  it('boots: tags booting with its revision, then ready with ready-at in one call, then completes the launch hook', async () => {
    const t = setup()
    await t.advance(1_000)
    expect(t.fleet.calls.filter((c) => !['group', 'view'].includes(c))).toEqual([
      expect.stringMatching(/^tag deckhand:state=booting,deckhand:revision=[0-9a-f]{12}$/),
      expect.stringMatching(/^tag deckhand:state=ready,deckhand:revision=[0-9a-f]{12},deckhand:ready-at=<time>$/),
      'complete launch CONTINUE',
    ])
    expect(t.runtime.all().map((c) => c.status)).toEqual(['running', 'running'])
    t.stop('SIGTERM')
    await t.exit
  })

  it('abandons the launch when an image does not exist, and tags failed', async () => {
    const t = setup()
    t.runtime.images.delete('app:1')
    await t.advance(1_000)
    expect(stateWrites(t.fleet)).toEqual(['booting', 'failed'])
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/app:1/)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    expect(t.logger.lines.find((l) => l.message.startsWith('the boot failed'))?.fields.reason).toMatch(/app:1/)
    t.stop('SIGTERM')
    await t.exit
  })

  it('sets itself Unhealthy when it cannot get ready in time and the group has no launch hook', async () => {
    const t = setup({ hooks: false })
    t.probe.set('tcp:127.0.0.1:3000', false)
    await t.advance(61_000)
    expect(stateWrites(t.fleet)).toEqual(['booting', 'failed'])
    expect(t.fleet.calls).toContain('unhealthy')
    t.stop('SIGTERM')
    await t.exit
  })

  it('abandons the launch on a crash loop before it was ever ready', async () => {
    const t = setup()
    t.runtime.images.set('proxy:1', { exitOnStart: 1 })
    await t.advance(1_000)
    await t.advance(5_000)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    expect(t.fleet.calls).not.toContain('unhealthy')
    t.stop('SIGTERM')
    await t.exit
  })

  it('sets itself Unhealthy on a crash loop once it has served', async () => {
    const t = setup()
    await t.advance(1_000)
    expect(t.fleet.calls).toContain('complete launch CONTINUE')
    t.runtime.images.set('proxy:1', { exitOnStart: 1 })
    t.runtime.crash('web-asg-proxy-i-0123', 1)
    for (let i = 0; i < 10; i++) await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('degraded')
    // In its turn on two looks a turn interval apart (at least 30 s).
    await t.advance(40_000)
    expect(t.fleet.calls).toContain('unhealthy')
    expect(t.fleet.calls).not.toContain('complete launch ABANDON')
    t.stop('SIGTERM')
    await t.exit
  })

  it('sets itself Unhealthy when the launch action it would abandon is gone', async () => {
    const t = setup()
    t.runtime.images.set('proxy:1', { exitOnStart: 1 })
    t.fleet.noActiveAction = true
    await t.advance(1_000)
    await t.advance(10_000)
    expect(t.fleet.calls).toContain('complete launch ABANDON refused')
    expect(t.fleet.calls).toContain('unhealthy')
    t.fleet.noActiveAction = false
    t.stop('SIGTERM')
    await t.exit
  })

  it('terminates itself through the gate when the version moves, then drains and completes the terminate hook', async () => {
    const t = setup()
    await t.advance(1_000)
    t.ssm.put('/deckhand/web-asg/version', '2')
    await t.advance(60_000)
    const line = t.logger.lines.find((l) => l.message === 'rollout gate: terminate')
    expect(line?.fields).toMatchObject({ decision: 'terminate', code: 'within-budget', shortfall: 0, maxUnavailable: 1 })
    expect(t.fleet.calls).toContain('terminate')
    expect(t.fleet.calls.findIndex((c) => c.startsWith('tag deckhand:state=draining'))).toBeLessThan(t.fleet.calls.indexOf('terminate'))
    expect(stateWrites(t.fleet).filter((s) => s === 'draining')).toHaveLength(1)
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
    expect(t.runtime.all().map((c) => c.status)).toEqual(['exited', 'exited'])
    expect(await t.exit).toBe(0)
  })

  it('is replaced when launched from an older template version than the one the group had when its agent started', async () => {
    const t = setup()
    // The group moved to version 2 between this instance's launch (from version 1) and its agent's start.
    t.fleet.info = { ...t.fleet.info, launchTemplate: { id: 'lt-1', version: '2' } }
    launchedFrom(t.fleet, { id: 'lt-1', version: '1' })
    await t.advance(1_000)
    await t.advance(60_000)
    expect(t.logger.lines.find((l) => l.message === 'rollout gate: terminate')?.fields).toMatchObject({ code: 'within-budget', outOfDate: ['launch-template'] })
    expect(t.fleet.calls).toContain('terminate')
    expect(await t.exit).toBe(0)
  })

  it('stays when launched from the template version the group launches from, reading its own once', async () => {
    const t = setup()
    t.fleet.info = { ...t.fleet.info, launchTemplate: { id: 'lt-1', version: '2' } }
    launchedFrom(t.fleet, { id: 'lt-1', version: '2' })
    await t.advance(1_000)
    for (let i = 0; i < 3; i++) await t.advance(60_000)
    expect(t.fleet.calls).not.toContain('terminate')
    expect(t.fleet.calls.filter((c) => c === 'view')).toHaveLength(1)
    expect(t.logger.lines.filter((l) => l.message === 'drift check: up to date')).toHaveLength(3)
    t.stop('SIGTERM')
    await t.exit
  })

  it('waits when another instance is already out of service', async () => {
    const t = setup()
    t.fleet.info = { ...t.fleet.info, desiredCapacity: 2 }
    t.fleet.others = [{ id: 'i-new', launchTime: 1, lifecycleState: 'Pending:Wait', health: 'Healthy', state: 'booting' }]
    await t.advance(1_000)
    t.ssm.put('/deckhand/web-asg/version', '2')
    await t.advance(60_000)
    expect(t.logger.lines.find((l) => l.message === 'rollout gate: wait')?.fields).toMatchObject({ code: 'no-budget', shortfall: 1 })
    expect(t.fleet.calls).not.toContain('terminate')
    t.stop('SIGTERM')
    await t.exit
  })

  it('terminates nothing and stops nothing while SSM is throttled', async () => {
    const t = setup()
    await t.advance(1_000)
    t.ssm.down = true
    t.ssm.put('/deckhand/web-asg/version', '2')
    await t.advance(5 * 60_000)
    expect(t.fleet.calls).not.toContain('terminate')
    expect(t.runtime.all().map((c) => c.status)).toEqual(['running', 'running'])
    expect(t.logger.messages('warn')).toContain('drift check could not read SSM; keeping everything as it is')
    t.stop('SIGTERM')
    await t.exit
  })

  it('does not roll to a manifest that does not parse', async () => {
    const t = setup()
    await t.advance(1_000)
    t.ssm.put('/deckhand/web-asg/manifest', 'containers: { app: { image: 1 } }')
    await t.advance(60_000)
    expect(t.fleet.calls).not.toContain('terminate')
    expect(t.logger.messages('error')).toContain('drift check: the manifest now in /deckhand/web-asg/manifest is invalid; not rolling to it:')
    t.stop('SIGTERM')
    await t.exit
  })

  it('drains when IMDS shows the target lifecycle state Terminated (a scale-in)', async () => {
    const t = setup()
    await t.advance(1_000)
    t.metadata.target = 'Terminated'
    await t.advance(5_000)
    expect(await t.exit).toBe(0)
    expect(stateWrites(t.fleet).at(-1)).toBe('draining')
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
    expect(t.runtime.calls.filter((c) => c.startsWith('stop'))).toEqual(['stop web-asg-proxy-i-0123', 'stop web-asg-app-i-0123'])
  })

  it('drains what a boot under way starts: a termination while the first containers start stops them before the terminate hook', async () => {
    const t = setup()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const start = t.runtime.start.bind(t.runtime)
    t.runtime.start = async (id: string) => {
      await held
      return start(id)
    }
    await t.advance(1_000)
    expect(t.runtime.calls).toContain('create web-asg-app-i-0123')
    t.metadata.spot = { action: 'terminate', time: t.clock.now() + 120_000 }
    await t.advance(5_000)
    release()
    await t.advance(1_000)
    expect(await t.exit).toBe(0)
    expect(t.runtime.all().map((c) => c.status)).not.toContain('running')
    expect(t.runtime.calls.indexOf('stop web-asg-app-i-0123')).toBeGreaterThan(t.runtime.calls.indexOf('start web-asg-app-i-0123'))
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
  })

  it('drains on a spot interruption notice', async () => {
    const t = setup()
    await t.advance(1_000)
    t.metadata.spot = { action: 'terminate', time: t.clock.now() + 120_000 }
    await t.advance(5_000)
    expect(await t.exit).toBe(0)
    expect(t.logger.lines.find((l) => l.message === 'draining')?.fields.reason).toMatch(/^spot interruption notice/)
  })

  it('restarted on the same instance after a release, runs what it booted with and restarts nothing', async () => {
    const first = setup()
    first.ssm.put('/deckhand/web-asg/secret', 's3cret')
    await first.advance(1_000)
    const revision = first.fleet.tags.get('i-0123')?.['deckhand:revision']
    const ids = first.runtime.all().map((c) => c.id)
    first.ssm.put('/deckhand/web-asg/version', '2')
    // The agent dies (SIGKILL): no drain. A new one starts on the same instance.
    const second = setup({ shared: { runtime: first.runtime, clock: first.clock, ssm: first.ssm, records: first.records } })
    second.runtime.calls.length = 0
    await second.advance(1_000)
    expect(revision).toMatch(/^[0-9a-f]{12}$/)
    // It was ready: the instance's tags (revision, ready, ready-at) stand, and no hook runs again.
    expect(second.fleet.calls.filter((c) => c.startsWith('tag') || c.startsWith('complete'))).toEqual([])
    expect(second.runtime.all().map((c) => c.id)).toEqual(ids)
    expect(second.runtime.calls.filter((c) => c.startsWith('create') || c.startsWith('start'))).toEqual([])
    expect(second.runtime.all().map((c) => c.image)).toEqual(['app:1', 'proxy:1'])
    second.stop('SIGTERM')
    await second.exit
  })

  it('waits drainDelay for the load balancer before stopping containers, heartbeating the terminate hook meanwhile', async () => {
    const t = setup({ manifest: MANIFEST.replace('rollout: { bootDeadline: 1m }', 'rollout: { bootDeadline: 1m, drainDelay: 30s }') })
    await t.advance(1_000)
    t.metadata.target = 'Terminated'
    await t.advance(5_000)
    expect(stateWrites(t.fleet)).toContain('draining')
    expect(t.runtime.all().map((c) => c.status)).toEqual(['running', 'running'])
    await t.advance(29_000)
    expect(t.fleet.calls.filter((c) => c === 'heartbeat terminate').length).toBeGreaterThanOrEqual(2)
    expect(t.runtime.all().map((c) => c.status)).toEqual(['exited', 'exited'])
    expect(await t.exit).toBe(0)
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
  })

  it('makes its first drift check at a random phase of the interval, then one GetParameters per interval', async () => {
    const t = setup()
    await t.advance(29_000)
    expect(t.ssm.calls.filter((c) => c === 'versions')).toEqual([])
    await t.advance(2_000)
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(1)
    await t.advance(60_000)
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(2)
    // Up to date: besides SSM, each check asks the group only what it launches (no hooks); the
    // first one also reads, once, the template this instance was launched from (the view).
    expect(t.fleet.calls.filter((c) => ['group', 'launch', 'view'].includes(c))).toEqual(['group', 'launch', 'view', 'launch'])
    t.stop('SIGTERM')
    await t.exit
  })

  it('waits for a Docker engine that is not up yet instead of failing the instance', async () => {
    const t = setup()
    t.runtime.setDown(true)
    await t.advance(30_000)
    expect(t.logger.messages('warn')).toContain('waiting for the Docker engine')
    expect(t.fleet.calls.filter((c) => c.includes('failed') || c.includes('ABANDON') || c === 'unhealthy')).toEqual([])
    t.runtime.setDown(false)
    await t.advance(30_000)
    expect(t.fleet.calls).toContain('complete launch CONTINUE')
    t.stop('SIGTERM')
    await t.exit
  })

  it('does not roll when a parameter the manifest references is deleted: a replacement could not boot', async () => {
    const t = setup({ manifest: MANIFEST.replace('app: { image: "app:${version}",', 'app: { image: "app:${version}", env: { TOKEN: { ssm: /deckhand/web-asg/token } },') })
    t.ssm.put('/deckhand/web-asg/token', 't0ken')
    await t.advance(1_000)
    expect(t.fleet.calls).toContain('complete launch CONTINUE')
    t.ssm.parameters.delete('/deckhand/web-asg/token')
    await t.advance(60_000)
    expect(t.logger.messages('info')).not.toContain('rollout gate: terminate')
    expect(t.fleet.calls).not.toContain('terminate')
    expect(t.logger.messages('error')).toContain('drift check: SSM parameters the manifest references do not exist (/deckhand/web-asg/token); not rolling until they do')
    t.stop('SIGTERM')
    await t.exit
  })

  it('writes its ready tags again when they were lost, before the gate, and then goes in its turn', async () => {
    const t = setup()
    await t.advance(1_000)
    const revision = t.fleet.tags.get('i-0123')?.['deckhand:revision'] ?? ''
    // Deleted by hand, say: IMDS no longer shows this instance ready.
    t.fleet.tags.set('i-0123', { 'deckhand:revision': revision })
    t.ssm.put('/deckhand/web-asg/version', '2')
    await t.advance(60_000)
    expect(t.logger.messages('warn')).toContain('the instance tags do not say what this agent wrote; writing them again')
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).not.toBe(undefined)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:ready-at']).toMatch(/^2026-11-23T12:00:0\dZ$/)
    await t.advance(60_000)
    expect(t.fleet.calls).toContain('terminate')
    expect(await t.exit).toBe(0)
  })

  it('leaves the instance to a drain that began while its drift check read the view: no terminate, no ready tag over draining', async () => {
    const t = setup()
    await t.advance(1_000)
    const view = t.fleet.view.bind(t.fleet)
    t.fleet.view = async () => {
      t.hostShutdown.stopping = true
      t.stop('SIGTERM')
      await new Promise((resolve) => setImmediate(resolve))
      return view()
    }
    t.ssm.put('/deckhand/web-asg/version', '2')
    await t.advance(60_000)
    expect(await t.exit).toBe(0)
    expect(t.fleet.calls).not.toContain('terminate')
    expect(stateWrites(t.fleet)).toEqual(['booting', 'ready', 'draining'])
    expect(t.fleet.calls).toContain('complete terminate CONTINUE')
  })

  it('completes the terminate hook of a termination that comes while the boot still waits for the group', async () => {
    const t = setup()
    t.fleet.groupFailures = 1_000
    await t.advance(2_000)
    expect(t.fleet.calls).toContain('group')
    t.fleet.groupFailures = 0
    t.metadata.target = 'Terminated'
    await t.advance(10_000)
    expect(await t.exit).toBe(0)
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
  })

  it('spaces its drift checks by the group size it last read and the calls its last check made', async () => {
    // random 0.5: the nominal interval, bound / 0.9. For 1 instance, 66.7 s. For 3,000: the first
    // check made 2 Auto Scaling calls (the group, and the view for its own launch template, read
    // once), so 3,000 x 2 / 10 per s = 600 s, 666.7 s nominal; later checks make 1, so 333.3 s.
    const t = setup({ formulaInterval: true })
    await t.advance(1_000)
    t.fleet.info = { ...t.fleet.info, desiredCapacity: 3_000 }
    await t.advance(33_000) // the first check, at half the interval, reads the new size
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(1)
    await t.advance(600_000) // past the 66.7 s a boot-time size would give, and under 666.7 s
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(1)
    await t.advance(67_000) // past 666.7 s
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(2)
    await t.advance(300_000) // under 333.3 s
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(2)
    await t.advance(34_000)
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(3)
    t.stop('SIGTERM')
    await t.exit
  })

  it('completes a terminate hook added after it booted', async () => {
    const t = setup({ hooks: false })
    await t.advance(1_000)
    t.fleet.info = { ...t.fleet.info, hooks: { launching: [], terminating: ['added-later'] } }
    t.hostShutdown.stopping = true
    t.stop('SIGTERM')
    expect(await t.exit).toBe(0)
    expect(t.fleet.calls.at(-1)).toBe('complete added-later CONTINUE')
  })
})

describe('heartbeatEveryMs', () => {
  it('heartbeats at a third of the shortest terminate hook timeout, never more often than every 10 s', () => {
    const hooks = { launching: ['launch'], terminating: ['drain', 'backup'] }
    expect(heartbeatEveryMs({ hooks, heartbeatTimeouts: { launch: 30, drain: 3600, backup: 900 } })).toBe(300_000)
    expect(heartbeatEveryMs({ hooks, heartbeatTimeouts: { drain: 30 } })).toBe(10_000)
    expect(heartbeatEveryMs({ hooks })).toBe(10_000)
    expect(heartbeatEveryMs(undefined)).toBe(10_000)
  })
})
