import { describe, expect, it } from 'vitest'
import { DeckhandError } from '../../../src/core/errors.js'
import type { BootRecord } from '../../../src/ports/boot-record.js'
import { MANIFEST, setup, stateWrites } from './setup.js'

/** Issue 11: restarts are not drains, one writer that reconciles, bounded boots, outages. */

const SLOW_DRAIN = MANIFEST.replace('rollout: { bootDeadline: 1m }', 'rollout: { bootDeadline: 1m, drainDelay: 1h }')

describe('Agent: SIGTERM (SPEC §1.10)', () => {
  it('with the host up and no termination under way, exits 0 leaving containers and tags as they are', async () => {
    const t = setup()
    await t.advance(1_000)
    const tags = { ...t.fleet.tags.get('i-0123') }
    const calls = t.fleet.calls.length
    t.stop('SIGTERM')
    expect(await t.exit).toBe(0)
    expect(t.runtime.all().map((c) => c.status)).toEqual(['running', 'running'])
    expect(t.runtime.calls.filter((c) => c.startsWith('stop'))).toEqual([])
    expect(t.fleet.tags.get('i-0123')).toEqual(tags)
    expect(t.fleet.calls.slice(calls)).toEqual([])
    expect(t.logger.messages('info')).toContain('stopping the agent alone: the host stays up and no termination is under way, so the containers keep running and the next agent adopts them')
  })

  it('drains when the host is shutting down', async () => {
    const t = setup()
    await t.advance(1_000)
    t.hostShutdown.stopping = true
    t.stop('SIGTERM')
    expect(await t.exit).toBe(0)
    expect(t.runtime.all().map((c) => c.status)).toEqual(['exited', 'exited'])
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
  })

  it('drains when the group is terminating the instance, even before the watch noticed', async () => {
    const t = setup()
    await t.advance(1_000)
    t.metadata.target = 'Terminated'
    t.stop('SIGTERM')
    expect(await t.exit).toBe(0)
    expect(stateWrites(t.fleet).at(-1)).toBe('draining')
    expect(t.runtime.all().map((c) => c.status)).toEqual(['exited', 'exited'])
  })

  it('a restarted agent that finds a drain it did not finish, with no termination under way, puts the instance back with the same ready-at, and the rollout goes on', async () => {
    const first = setup({ manifest: SLOW_DRAIN })
    await first.advance(1_000)
    const readyAt = first.fleet.tags.get('i-0123')?.['deckhand:ready-at']
    first.hostShutdown.stopping = true
    first.stop('SIGTERM')
    await first.advance(1_000)
    expect(first.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('draining')
    expect(first.records.get('record')?.drain?.reason).toMatch(/host is shutting down/)
    // The host did not go down after all (the shutdown was cancelled); the first agent is gone
    // mid-drain (its drainDelay is an hour), a new one starts on the same instance.
    const second = setup({ manifest: SLOW_DRAIN, shared: { runtime: first.runtime, clock: first.clock, ssm: first.ssm, records: first.records, fleet: first.fleet } })
    await second.advance(1_000)
    expect(second.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    expect(second.fleet.tags.get('i-0123')?.['deckhand:ready-at']).toBe(readyAt)
    expect(second.records.get('record')?.drain).toBeUndefined()
    second.ssm.put('/deckhand/web-asg/version', '2')
    await second.advance(60_000)
    expect(second.logger.lines.find((l) => l.message.startsWith('rollout gate:'))?.fields).toMatchObject({ decision: 'terminate', code: 'within-budget' })
  })
})

describe('Agent: one writer that reconciles', () => {
  it('writes the ready tags however long CreateTags is throttled, then completes the launch hook', async () => {
    const t = setup()
    t.fleet.tagFailures = 15
    await t.advance(1_000)
    for (let i = 0; i < 30; i++) await t.advance(10_000)
    expect(t.fleet.calls.filter((c) => c === 'tag throttled')).toHaveLength(15)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    const tagged = t.fleet.calls.findIndex((c) => c.startsWith('tag deckhand:state=ready'))
    expect(tagged).toBeGreaterThanOrEqual(0)
    expect(t.fleet.calls.indexOf('complete launch CONTINUE')).toBeGreaterThan(tagged)
    t.stop('SIGTERM')
    await t.exit
  })

  it('an up-to-date instance writes its ready tags again when they were deleted', async () => {
    const t = setup()
    await t.advance(1_000)
    const before = { ...t.fleet.tags.get('i-0123') }
    t.fleet.tags.set('i-0123', {})
    await t.advance(60_000)
    expect(t.fleet.tags.get('i-0123')).toEqual(before)
    expect(t.fleet.calls).not.toContain('terminate')
    t.stop('SIGTERM')
    await t.exit
  })

  it('reads its tags from the API when IMDS does not serve them, and writes lost ones again', async () => {
    const t = setup()
    t.metadata.tags = undefined
    await t.advance(1_000)
    const before = { ...t.fleet.tags.get('i-0123') }
    t.fleet.tags.set('i-0123', { 'deckhand:state': 'booting' })
    await t.advance(60_000)
    expect(t.fleet.calls).toContain('instance tags')
    expect(t.fleet.tags.get('i-0123')).toEqual(before)
    t.stop('SIGTERM')
    await t.exit
  })

  it('never tags ready over failed: a crash loop before ready stays failed when the containers come back', async () => {
    const t = setup()
    t.runtime.images.set('proxy:1', { exitOnStart: 1 })
    await t.advance(1_000)
    await t.advance(5_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('failed')
    t.runtime.images.set('proxy:1', {})
    for (let i = 0; i < 20; i++) await t.advance(10_000)
    expect(stateWrites(t.fleet)).not.toContain('ready')
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('failed')
    t.stop('SIGTERM')
    await t.exit
  })
})

describe('Agent: a boot bounded by its deadline', () => {
  it('heartbeats the launch hook while a boot outlasts its heartbeat timeout, then completes it with CONTINUE', async () => {
    const slow = MANIFEST.replace('health: { tcp: 3000, interval: 1s }', 'health: { tcp: 3000, interval: 1s, startPeriod: 2m }').replace('bootDeadline: 1m', 'bootDeadline: 5m')
    const t = setup({ manifest: slow, info: { heartbeatTimeouts: { launch: 30, terminate: 600 } } })
    t.probe.set('tcp:127.0.0.1:3000', false)
    for (let i = 0; i < 45; i++) await t.advance(1_000)
    expect(t.fleet.calls.filter((c) => c === 'heartbeat launch').length).toBeGreaterThanOrEqual(4)
    expect(t.fleet.calls).not.toContain('complete launch CONTINUE')
    t.probe.set('tcp:127.0.0.1:3000', true)
    await t.advance(2_000)
    expect(t.fleet.calls).toContain('complete launch CONTINUE')
    const beats = t.fleet.calls.filter((c) => c === 'heartbeat launch').length
    await t.advance(60_000)
    expect(t.fleet.calls.filter((c) => c === 'heartbeat launch')).toHaveLength(beats)
    t.stop('SIGTERM')
    await t.exit
  })

  it('fails at once, naming the permission, when the role may not read SSM', async () => {
    const t = setup()
    t.ssm.denied = true
    await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('failed')
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/add ssm:GetParameters to the instance role's policy/)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    expect(t.ssm.calls).toEqual(['load'])
    t.stop('SIGTERM')
    await t.exit
  })

  it('fails at once when the manifest parameter does not exist', async () => {
    const t = setup()
    t.ssm.parameters.delete('/deckhand/web-asg/manifest')
    await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/\/deckhand\/web-asg\/manifest does not exist/)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    t.stop('SIGTERM')
    await t.exit
  })

  it('fails at the boot deadline, naming what it waited for, when SSM stays throttled', async () => {
    const t = setup()
    t.ssm.down = true
    await t.advance(9 * 60_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBeUndefined()
    await t.advance(61_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('failed')
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/^The config under \/deckhand\/web-asg\/ in SSM did not answer within the boot deadline \(SSM throttled/)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    t.stop('SIGTERM')
    await t.exit
  })

  it('fails the boot, with a sentence, when boot.json cannot be written', async () => {
    const records = new Map<string, BootRecord>()
    const t = setup({
      records: {
        read: async () => records.get('record'),
        write: async () => {
          throw new DeckhandError('STATE_DIR', 'Cannot write the boot record /var/lib/deckhand/boot.json (ENOSPC); free space on or repair the disk of DECKHAND_STATE_DIR.')
        },
      },
    })
    await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/^Cannot write the boot record/)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    expect(t.runtime.all()).toEqual([])
    t.stop('SIGTERM')
    await t.exit
  })

  it('refuses a group with a warm pool, and a manifest with an ebs volume, in one sentence each', async () => {
    const warm = setup({ info: { warmPool: true } })
    await warm.advance(1_000)
    expect(warm.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/has a warm pool, which deckhand does not support/)
    warm.stop('SIGTERM')
    await warm.exit
    const ebs = setup({ manifest: `${MANIFEST}volumes: { data: { ebs: { size: 10 } } }\n` })
    await ebs.advance(1_000)
    expect(ebs.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/ebs volume data, which deckhand agent does not support yet/)
    ebs.stop('SIGTERM')
    await ebs.exit
  })

  it('a restarted agent answers the launch hook an earlier agent left unanswered', async () => {
    const first = setup()
    first.fleet.completeLifecycleAction = () => new Promise(() => undefined) // the agent dies here
    await first.advance(1_000)
    expect(first.records.get('record')?.readyAt).toBeDefined()
    expect(first.records.get('record')?.launchCompleted).toBeUndefined()
    const second = setup({ shared: { runtime: first.runtime, clock: first.clock, ssm: first.ssm, records: first.records } })
    await second.advance(1_000)
    expect(second.fleet.calls).toContain('complete launch CONTINUE')
    expect(second.records.get('record')?.launchCompleted).toBe(true)
  })
})

describe('Agent: what the instance booted with is sacred', () => {
  it('a restarted agent whose parameter version is gone from SSM takes the value from its container, and stays serving', async () => {
    const manifest = MANIFEST.replace('app: { image: "app:${version}",', 'app: { image: "app:${version}", env: { TOKEN: { ssm: /deckhand/web-asg/token } },')
    const first = setup({ manifest })
    first.ssm.put('/deckhand/web-asg/token', 't0ken-1')
    await first.advance(1_000)
    expect(first.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    // Deleted, and its history with it (or aged past SSM's 100 versions).
    first.ssm.parameters.delete('/deckhand/web-asg/token')
    first.ssm.history.delete('/deckhand/web-asg/token:1')
    const ids = first.runtime.all().map((c) => c.id)
    const second = setup({ manifest, shared: { runtime: first.runtime, clock: first.clock, ssm: first.ssm, records: first.records, fleet: first.fleet } })
    await second.advance(1_000)
    expect(second.logger.messages('warn')).toContain('the parameter version this instance booted with cannot be read; taking its value from the containers')
    expect(second.fleet.calls).not.toContain('unhealthy')
    expect(second.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    expect(second.runtime.all().map((c) => c.id)).toEqual(ids)
  })
})

describe('Agent: a dependency outage is not a reason to replace the fleet', () => {
  function crashLoop(t: ReturnType<typeof setup>) {
    t.runtime.images.set('proxy:1', { exitOnStart: 1 })
    t.runtime.crash('web-asg-proxy-i-0123', 1)
  }

  it('tags degraded and waits while the group is already maxUnavailable out of service for replacement; goes in its turn once that one is back', async () => {
    const t = setup({ info: { desiredCapacity: 2 } })
    await t.advance(1_000)
    t.fleet.others = [{ id: 'i-other', launchTime: -1, lifecycleState: 'InService', health: 'Unhealthy', state: 'degraded' }]
    crashLoop(t)
    for (let i = 0; i < 10; i++) await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('degraded')
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/^crash loop: proxy restarted/)
    expect(t.fleet.calls).not.toContain('unhealthy')
    expect(t.logger.lines.find((l) => l.message === 'crash loop: waiting for its turn')?.fields.reason).toMatch(/already 1 of 2 out of service for replacement/)
    // The other instance's replacement is ready now.
    t.fleet.others = [{ id: 'i-new', launchTime: 5, lifecycleState: 'InService', health: 'Healthy', state: 'ready' }]
    await t.advance(40_000)
    // Its turn on one look; it goes on the next look, a turn interval later, if that agrees.
    expect(t.fleet.calls).not.toContain('unhealthy')
    expect(t.logger.messages('info')).toContain('crash loop: its turn, if the next look agrees')
    await t.advance(40_000)
    expect(t.fleet.calls).toContain('unhealthy')
    expect(t.runtime.all().map((c) => c.status)).toContain('running')
    t.stop('SIGTERM')
    await t.exit
  })

  it('goes back to ready when the crash loop ends before its turn, and the reason tag is removed', async () => {
    const t = setup({ info: { desiredCapacity: 2 } })
    await t.advance(1_000)
    t.fleet.others = [{ id: 'i-other', launchTime: -1, lifecycleState: 'Pending:Wait', health: 'Healthy', state: 'booting' }]
    crashLoop(t)
    for (let i = 0; i < 10; i++) await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('degraded')
    t.runtime.images.set('proxy:1', {})
    // The loop ends once its restarts fall out of the crash-loop window (10 minutes by default).
    for (let i = 0; i < 11; i++) await t.advance(60_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toBeUndefined()
    expect(t.fleet.calls).not.toContain('unhealthy')
    t.stop('SIGTERM')
    await t.exit
  })
})

describe('Agent: API budgets', () => {
  it('after a rollback, a check costs one GetParameters again: what it learned is cached', async () => {
    const t = setup({ info: { desiredCapacity: 2 } })
    // Another instance is booting: the gate waits, so this one stays and keeps checking.
    t.fleet.others = [{ id: 'i-new', launchTime: 1, lifecycleState: 'Pending:Wait', health: 'Healthy', state: 'booting' }]
    await t.advance(1_000)
    t.ssm.put('/deckhand/web-asg/version', '2')
    await t.advance(60_000)
    t.ssm.put('/deckhand/web-asg/version', '1') // the rollback: version 1 again, as SSM version 3
    await t.advance(60_000)
    const loads = t.ssm.calls.filter((c) => c === 'load').length
    const versions = t.ssm.calls.filter((c) => c === 'versions').length
    for (let i = 0; i < 3; i++) await t.advance(60_000)
    expect(t.ssm.calls.filter((c) => c === 'load')).toHaveLength(loads)
    expect(t.ssm.calls.filter((c) => c === 'versions')).toHaveLength(versions + 3)
    expect(loads).toBe(3) // the boot, version 2, the rollback: once each
    t.stop('SIGTERM')
    await t.exit
  })
})

describe('Agent: a spot notice', () => {
  it('hands the instance to the group at once and cuts drainDelay to fit the notice', async () => {
    const t = setup({ manifest: MANIFEST.replace('rollout: { bootDeadline: 1m }', 'rollout: { bootDeadline: 1m, drainDelay: 5m }') })
    await t.advance(1_000)
    t.metadata.spot = { action: 'terminate', time: t.clock.now() + 120_000 }
    await t.advance(5_000)
    expect(t.fleet.calls).toContain('terminate')
    expect(t.logger.lines.find((l) => l.message === 'the drain is cut to fit the spot notice')?.fields.reason).toMatch(/^drainDelay cut from 5m to /)
    for (let i = 0; i < 12; i++) await t.advance(10_000)
    expect(await t.exit).toBe(0)
    expect(t.runtime.all().map((c) => c.status)).toEqual(['exited', 'exited'])
  })
})

describe('Agent: hostile input from SSM and tags', () => {
  it('fails the boot with a sentence for a service tag that would climb out of the state dir', async () => {
    const t = setup({ info: { tags: { 'deckhand:service': '../../etc' } } })
    await t.advance(1_000)
    expect(t.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/^The service name "\.\.\/\.\.\/etc" is not allowed/)
    expect(t.fleet.calls).toContain('complete launch ABANDON')
    t.stop('SIGTERM')
    await t.exit
  })

  it('fails the boot like any invalid manifest for a YAML alias bomb, a version with a slash', async () => {
    const bomb = setup({ manifest: 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n' })
    await bomb.advance(1_000)
    expect(bomb.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('failed')
    expect(bomb.fleet.tags.get('i-0123')?.['deckhand:reason']).toMatch(/^The manifest in \/deckhand\/web-asg\/manifest is invalid/)
    expect(bomb.fleet.calls).toContain('complete launch ABANDON')
    bomb.stop('SIGTERM')
    await bomb.exit
    const slash = setup()
    slash.ssm.put('/deckhand/web-asg/version', '../../1')
    await slash.advance(1_000)
    expect(slash.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('failed')
    expect(slash.fleet.calls).toContain('complete launch ABANDON')
    slash.stop('SIGTERM')
    await slash.exit
  })
})

describe('Agent: adoption after a restart', () => {
  it('an instance recorded ready whose containers are not healthy after the restart is tagged booting until they are, keeping its ready-at', async () => {
    const first = setup()
    await first.advance(1_000)
    const readyAt = first.fleet.tags.get('i-0123')?.['deckhand:ready-at']
    // The host crashed: the containers are down and the app is slow to answer when it comes back.
    for (const c of first.runtime.all()) first.runtime.crash(c.name, 137)
    const second = setup({ shared: { runtime: first.runtime, clock: first.clock, ssm: first.ssm, records: first.records, fleet: first.fleet } })
    second.probe.set('tcp:127.0.0.1:3000', false)
    await second.advance(1_000)
    expect(second.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    for (let i = 0; i < 10; i++) await second.advance(1_000)
    expect(second.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('booting')
    expect(second.logger.messages('warn')).toContain('the containers this instance served with are not healthy after the agent restarted; tagged booting until they are')
    second.probe.set('tcp:127.0.0.1:3000', true)
    await second.advance(2_000)
    expect(second.fleet.tags.get('i-0123')?.['deckhand:state']).toBe('ready')
    expect(second.fleet.tags.get('i-0123')?.['deckhand:ready-at']).toBe(readyAt)
    expect(second.fleet.calls).not.toContain('unhealthy')
  })
})

describe('Agent: a termination IMDS cannot tell', () => {
  it('drains when IMDS does not answer and the group says the instance is terminating', async () => {
    const t = setup()
    await t.advance(1_000)
    t.metadata.targetLifecycleState = async () => {
      throw new Error('IMDS did not answer')
    }
    t.fleet.lifecycle = 'Terminating:Wait'
    for (let i = 0; i < 15; i++) await t.advance(5_000)
    expect(await t.exit).toBe(0)
    expect(t.fleet.calls.at(-1)).toBe('complete terminate CONTINUE')
  })
})
