import { afterEach, describe, expect, it } from 'vitest'
import { parseManifest, withRevision, type DesiredState } from '../../../src/core/manifest/index.js'
import { containerConfig, containerName, LABELS, type Identity } from '../../../src/core/supervisor/container-config.js'
import { Supervisor } from '../../../src/core/supervisor/supervisor.js'
import type { InstanceState } from '../../../src/ports/status-store.js'
import { FakeProbe } from '../../support/fake-probe.js'
import { FakeRuntime } from '../../support/fake-runtime.js'
import { ManualClock } from '../../support/manual-clock.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const identity: Identity = { instanceId: 'i-test', service: 'web' }

const TWO_TIER = `
containers:
  proxy:
    image: proxy:1
    dependsOn: [app]
  app:
    image: app:1
    health: { tcp: 3000, interval: 5s, retries: 3 }
    restart: { crashLoop: { restarts: 3, within: 1m } }
`

function desired(text: string): DesiredState {
  const result = parseManifest(text, { version: '1' })
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return withRevision(result.manifest)
}

interface Harness {
  clock: ManualClock
  runtime: FakeRuntime
  probe: FakeProbe
  logger: MemoryLogger
  supervisor: Supervisor
  states: InstanceState[]
  settle(): Promise<void>
  advance(ms: number): Promise<void>
}

const running: Supervisor[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.drain()))
})

function harness(text: string, shared?: { clock: ManualClock; runtime: FakeRuntime; probe: FakeProbe }): Harness {
  const clock = shared?.clock ?? new ManualClock()
  const runtime = shared?.runtime ?? new FakeRuntime(clock)
  const probe = shared?.probe ?? new FakeProbe()
  const state = desired(text)
  for (const c of state.containers) if (!runtime.images.has(c.image)) runtime.images.set(c.image, {})
  const logger = new MemoryLogger()
  const configs = new Map(
    state.containers.map((spec) => [
      spec.name,
      containerConfig(spec, {
        identity,
        revision: state.revision,
        host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
        volumes: new Map(),
        env: Object.fromEntries(Object.entries(spec.env).filter((e): e is [string, string] => typeof e[1] === 'string')),
      }),
    ]),
  )
  const supervisor = new Supervisor({ identity, desired: state, configs, runtime, probe, clock, scheduler: clock, logger })
  running.push(supervisor)
  const states: InstanceState[] = []
  supervisor.onStateChange((s) => states.push(s))
  const settle = async () => {
    await clock.advance(0, () => supervisor.idle().then(() => new Promise((r) => setImmediate(r))))
  }
  const advance = (ms: number) => clock.advance(ms, () => supervisor.idle().then(() => new Promise((r) => setImmediate(r))))
  return { clock, runtime, probe, logger, supervisor, states, settle, advance }
}

const name = (c: string) => containerName(identity, c)

describe('Supervisor', () => {
  it('starts containers in dependency order, each only after its dependencies are healthy', async () => {
    const h = harness(TWO_TIER)
    await h.supervisor.start()
    await h.settle()
    expect(h.runtime.calls).toEqual(['create web-app-i-test', 'start web-app-i-test'])
    expect(h.supervisor.snapshot().containers.find((c) => c.name === 'proxy')?.detail).toBe('waiting for app to be healthy')

    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.advance(200)
    expect(h.runtime.calls.slice(2)).toEqual(['create web-proxy-i-test', 'start web-proxy-i-test'])
    expect(h.supervisor.instanceState).toBe('ready')
    expect(h.states).toEqual(['ready'])
  })

  it('labels every container with its instance, service, revision and name', async () => {
    const h = harness(TWO_TIER)
    await h.supervisor.start()
    const app = h.runtime.byName(name('app'))
    expect(app?.labels).toEqual({
      [LABELS.instance]: 'i-test',
      [LABELS.service]: 'web',
      [LABELS.revision]: h.supervisor.snapshot().revision,
      [LABELS.container]: 'app',
    })
  })

  it('respawns a crashed container after Docker-like backoff: 100 ms, then 200 ms', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    await h.supervisor.start()
    const id = h.runtime.byName(name('app'))?.id
    h.runtime.crash(name('app'))
    await h.settle()
    expect(h.runtime.byName(name('app'))?.status).toBe('exited')
    await h.advance(100)
    expect(h.runtime.byName(name('app'))).toMatchObject({ status: 'running', id })

    h.runtime.crash(name('app'))
    await h.advance(150)
    expect(h.runtime.byName(name('app'))?.status).toBe('exited')
    await h.advance(50)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    expect(h.supervisor.snapshot().containers[0]?.restarts).toBe(2)
  })

  it('resets the backoff once a run lasted 10 s', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    await h.supervisor.start()
    for (const wait of [100, 200, 400]) {
      h.runtime.crash(name('app'))
      await h.advance(wait)
      expect(h.runtime.byName(name('app'))?.status).toBe('running')
    }
    await h.advance(10_000)
    h.runtime.crash(name('app'))
    await h.advance(100)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
  })

  it('recreates a container that was removed', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    await h.supervisor.start()
    const first = h.runtime.byName(name('app'))?.id
    h.runtime.forceRemove(name('app'))
    await h.advance(100)
    const second = h.runtime.byName(name('app'))
    expect(second?.status).toBe('running')
    expect(second?.id).not.toBe(first)
  })

  it('reports OOM kills as such', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    await h.supervisor.start()
    h.runtime.crash(name('app'), 137, { oom: true })
    await h.settle()
    expect(h.logger.lines.find((l) => l.message.startsWith('container down'))?.fields.reason).toBe('killed: out of memory')
  })

  it('declares a crash loop after `restarts` restarts within the window', async () => {
    const h = harness(TWO_TIER)
    h.runtime.images.set('app:1', { exitOnStart: 3 })
    await h.supervisor.start()
    await h.advance(100 + 200 + 400)
    expect(h.supervisor.snapshot().containers.find((c) => c.name === 'app')?.restarts).toBe(3)
    expect(h.supervisor.instanceState).toBe('crash-loop')
    expect(h.supervisor.snapshot().detail).toBe('app restarted 3 times within 1m')
    expect(h.runtime.byName(name('proxy'))).toBeUndefined()
  })

  it('restarts a running container whose probe failed `retries` times in a row, once per interval', async () => {
    const h = harness(TWO_TIER)
    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.supervisor.start()
    await h.advance(200)
    expect(h.supervisor.instanceState).toBe('ready')

    h.probe.set('tcp:127.0.0.1:3000', false, 'connection refused')
    await h.advance(5_000 * 2)
    expect(h.runtime.calls.filter((c) => c === 'stop web-app-i-test')).toEqual([])
    await h.advance(5_000)
    expect(h.runtime.calls).toContain('stop web-app-i-test')
    expect(h.supervisor.instanceState).toBe('degraded')

    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.advance(300)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    expect(h.supervisor.instanceState).toBe('ready')
  })

  it('gives a slow starter its interval × retries before calling it unhealthy', async () => {
    const h = harness(TWO_TIER)
    await h.supervisor.start()
    await h.advance(14_000)
    expect(h.runtime.calls).not.toContain('stop web-app-i-test')
    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.advance(200)
    expect(h.supervisor.instanceState).toBe('ready')
  })

  it('restarts a container whose Docker health check turned unhealthy (Docker never does)', async () => {
    const h = harness('containers: { app: { image: app:1, health: { cmd: "true" } } }')
    await h.supervisor.start()
    h.runtime.setEngineHealth(name('app'), 'healthy')
    await h.settle()
    expect(h.supervisor.instanceState).toBe('ready')
    h.runtime.setEngineHealth(name('app'), 'unhealthy', 3)
    await h.settle()
    expect(h.runtime.calls).toContain('stop web-app-i-test')
    await h.advance(100)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
  })

  it('adopts what a previous agent left: nothing healthy restarts, its own stale revision goes, foreign containers stay', async () => {
    const first = harness(TWO_TIER)
    first.probe.set('tcp:127.0.0.1:3000', true)
    await first.supervisor.start()
    await first.advance(200)
    const ids = first.runtime.all().map((c) => c.id).sort()
    running.splice(running.indexOf(first.supervisor), 1)

    first.runtime.addForeign({ ...first.runtime.byName(name('app'))!, name: 'somebody-elses', labels: { owner: 'me' } } as never)
    const stale = await first.runtime.create({
      name: 'web-old-i-test', image: 'app:1', labels: { [LABELS.instance]: 'i-test', [LABELS.service]: 'web', [LABELS.revision]: 'oldrevision0', [LABELS.container]: 'old' },
      env: {}, network: 'host', ports: [], binds: [], tmpfs: [], stopTimeoutMs: 1000, logging: { driver: 'local', options: {} }, privileged: false,
    })

    await first.runtime.start(stale)
    const second = harness(TWO_TIER, first)
    second.runtime.calls.length = 0
    await second.supervisor.start()
    await second.advance(200)
    expect(second.runtime.calls).toEqual(['stop web-old-i-test', 'remove web-old-i-test'])
    expect(second.runtime.byName(stale)).toBeUndefined()
    expect(second.runtime.byName('somebody-elses')?.status).toBe('running')
    expect(second.runtime.all().filter((c) => c.labels[LABELS.instance] === 'i-test').map((c) => c.id).sort()).toEqual(ids)
    expect(second.supervisor.instanceState).toBe('ready')
  })

  it('fails the boot with one sentence when a container it does not own holds the name', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    h.runtime.addForeign({ name: name('app'), image: 'other', labels: {}, env: {}, network: 'host', ports: [], binds: [], tmpfs: [], stopTimeoutMs: 1, logging: { driver: 'local', options: {} }, privileged: false })
    await h.supervisor.start()
    expect(h.supervisor.instanceState).toBe('failed')
    expect(h.supervisor.snapshot().detail).toBe(
      'A container named web-app-i-test already exists and deckhand does not own it; rename or remove it yourself (deckhand never touches containers it did not create).',
    )
    expect(h.runtime.byName(name('app'))?.image).toBe('other')
  })

  it('waits out a Docker daemon outage, then brings back what the restart stopped', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    await h.supervisor.start()
    h.runtime.setDown(true)
    await h.advance(5_000)
    expect(h.logger.messages('warn')).toContain('cannot list containers; keeping everything as it is and retrying')
    h.runtime.setDown(false)
    await h.advance(1_000)
    await h.advance(100)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    expect(h.logger.messages('info')).toContain('Docker engine reachable again; reconciling')
  })

  it('drains in reverse dependency order', async () => {
    const h = harness(TWO_TIER)
    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.supervisor.start()
    await h.advance(200)
    h.runtime.calls.length = 0
    await h.supervisor.drain()
    expect(h.runtime.calls).toEqual(['stop web-proxy-i-test', 'stop web-app-i-test'])
    expect(h.supervisor.instanceState).toBe('stopped')
    expect(h.states.slice(-2)).toEqual(['draining', 'stopped'])
  })
})

describe('Supervisor with an image fetcher', () => {
  it('pulls an image again when it was pruned, then creates the container', async () => {
    const clock = new ManualClock()
    const runtime = new FakeRuntime(clock)
    const state = desired('containers: { app: { image: app:1 } }')
    const pulled: string[] = []
    const spec = state.containers[0]!
    const config = containerConfig(spec, { identity, revision: state.revision, host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 }, volumes: new Map(), env: {} })
    const images = { ensure: async (list: readonly string[]) => { pulled.push(...list); for (const i of list) runtime.images.set(i, {}) } }
    const supervisor = new Supervisor({ identity, desired: state, configs: new Map([['app', config]]), runtime, probe: new FakeProbe(), clock, scheduler: clock, logger: new MemoryLogger(), images })
    running.push(supervisor)
    await supervisor.start()
    expect(pulled).toEqual(['app:1'])
    await clock.advance(100, () => supervisor.idle().then(() => new Promise((r) => setImmediate(r))))
    expect(runtime.byName(name('app'))?.status).toBe('running')
  })
})
