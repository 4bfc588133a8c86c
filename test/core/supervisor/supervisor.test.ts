import { afterEach, describe, expect, it } from 'vitest'
import { parseManifest, withRevision, type DesiredState } from '../../../src/core/manifest/index.js'
import { containerConfig, containerName, LABELS, type Identity } from '../../../src/core/supervisor/container-config.js'
import { Supervisor, type SupervisorOptions } from '../../../src/core/supervisor/supervisor.js'
import type { ContainerState, RuntimeEvent } from '../../../src/ports/container-runtime.js'
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

function harness(text: string, shared?: { clock: ManualClock; runtime: FakeRuntime; probe: FakeProbe }, extra: Pick<SupervisorOptions, 'reconcileIntervalMs'> = {}): Harness {
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
  const supervisor = new Supervisor({ identity, desired: state, configs, runtime, probe, clock, scheduler: clock, logger, ...extra })
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
    await h.settle()
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    h.runtime.crash(name('app'))
    await h.advance(99)
    expect(h.runtime.byName(name('app'))?.status).toBe('exited')
    await h.advance(1)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
  })

  it('restarts a container that ran 10 s at once, straight from its die event: no list or inspect first, no delay', async () => {
    const clock = new ManualClock()
    const runtime = new ReadCountingRuntime(clock)
    const h = harness('containers: { app: { image: app:1 } }', { clock, runtime, probe: new FakeProbe() })
    await h.supervisor.start()
    await h.advance(10_000)
    await h.supervisor.idle()
    runtime.calls.length = 0
    runtime.reads = 0
    runtime.crash(name('app'), 3)
    await h.settle()
    // The start came first; the pass it then asks for (to see the new run) may follow.
    expect(runtime.calls[0]).toBe(`start ${name('app')}`)
    expect(runtime.readsBeforeFirstStart).toBe(0)
    expect(runtime.byName(name('app'))?.status).toBe('running')
    expect(h.logger.lines.find((l) => l.message === 'container down; restarting now')?.fields.reason).toBe('exited with code 3')
    expect(h.supervisor.snapshot().containers[0]?.restarts).toBe(1)
  })

  it('boots http-checked containers with one list of the engine: no pass after their starts and health changes', async () => {
    const clock = new ManualClock()
    const runtime = new ReadCountingRuntime(clock)
    const probe = new FakeProbe()
    const lines = ['containers:']
    for (let i = 0; i < 5; i++) {
      lines.push(`  c${i}: { image: web:1, health: { http: "http://127.0.0.1:${9000 + i}/healthz" } }`)
      probe.set(`http:http://127.0.0.1:${9000 + i}/healthz`, true)
    }
    const h = harness(lines.join('\n'), { clock, runtime, probe })
    await h.supervisor.start()
    await h.settle()
    expect(h.supervisor.instanceState).toBe('ready')
    expect(runtime.calls.filter((c) => c.startsWith('start'))).toHaveLength(5)
    expect(runtime.reads).toBe(1)
  })

  it('leaves a die event of an earlier run alone once a pass restarted the container', async () => {
    const clock = new ManualClock()
    const runtime = new LateEventsRuntime(clock)
    const h = harness('containers: { app: { image: app:1 } }', { clock, runtime, probe: new FakeProbe() })
    await h.supervisor.start()
    await h.advance(10_000)
    runtime.hold = true
    runtime.crash(name('app'))
    await h.advance(10_000) // the periodic pass sees the exit and restarts it
    expect(runtime.byName(name('app'))?.status).toBe('running')
    const downs = () => h.logger.lines.filter((l) => l.message.startsWith('container down')).length
    expect(downs()).toBe(1)
    runtime.release()
    await h.settle()
    expect(downs()).toBe(1)
    expect(h.supervisor.snapshot().containers[0]).toMatchObject({ phase: 'running', restarts: 1 })
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

  it('drains one dependency level at a time, the containers of a level together', async () => {
    const h = harness('containers:\n  db: { image: db:1 }\n  app: { image: app:1, dependsOn: [db] }\n  worker: { image: worker:1, dependsOn: [db] }\n')
    await h.supervisor.start()
    await h.advance(1_000)
    h.runtime.calls.length = 0
    h.runtime.holdStops()
    const drained = h.supervisor.drain()
    await h.settle()
    // Both dependents were asked to stop before either finished; db waits for them.
    expect(h.runtime.calls.filter((c) => c.startsWith('stop')).sort()).toEqual(['stop web-app-i-test', 'stop web-worker-i-test'])
    h.runtime.releaseStops()
    await drained
    expect(h.runtime.calls.filter((c) => c.startsWith('stop')).at(-1)).toBe('stop web-db-i-test')
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

/** An engine whose events never reach the agent: only passes notice what happens. */
/** Counts lists and inspects, and how many came before the first start since the count was reset. */
class ReadCountingRuntime extends FakeRuntime {
  reads = 0
  readsBeforeFirstStart: number | undefined
  override async list(labels: Readonly<Record<string, string>>): Promise<ContainerState[]> {
    this.reads += 1
    return super.list(labels)
  }
  override async inspect(idOrName: string): Promise<ContainerState | undefined> {
    this.reads += 1
    return super.inspect(idOrName)
  }
  override async start(id: string): Promise<void> {
    if (!this.calls.some((c) => c.startsWith('start'))) this.readsBeforeFirstStart = this.reads
    return super.start(id)
  }
}

/** Holds its events back while `hold` is set, then delivers them all, late. */
class LateEventsRuntime extends FakeRuntime {
  hold = false
  private held: (() => void)[] = []
  private readonly inner = new Set<(e: RuntimeEvent) => void>()
  override events(labels: Readonly<Record<string, string>>, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const source = super.events(labels, signal)
    const self = this
    return {
      async *[Symbol.asyncIterator]() {
        for await (const event of source) {
          if (self.hold) await new Promise<void>((resolve) => self.held.push(resolve))
          yield event
        }
      },
    }
  }
  release(): void {
    this.hold = false
    for (const resolve of this.held.splice(0)) resolve()
  }
}

class DeafRuntime extends FakeRuntime {
  override events(_labels: Readonly<Record<string, string>>, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    return {
      async *[Symbol.asyncIterator]() {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
      },
    }
  }
}

/**
 * Stops answering once it was asked to stop containers more than `maxStops` times, so that a
 * supervisor that stops the same container over and over in a loop of passes fails its test
 * instead of spinning forever.
 */
class StopCountingRuntime extends FakeRuntime {
  constructor(clock: ManualClock, private readonly maxStops: number) {
    super(clock)
  }

  override async list(labels: Readonly<Record<string, string>>): Promise<ContainerState[]> {
    if (this.stops.length > this.maxStops) throw new Error(`asked to stop ${this.stops.length} times`)
    return super.list(labels)
  }
}

function stopCounting(text: string, maxStops: number): Harness {
  const clock = new ManualClock()
  return harness(text, { clock, runtime: new StopCountingRuntime(clock, maxStops), probe: new FakeProbe() })
}

describe('Supervisor, restarts and failures', () => {
  const stopsOf = (h: Harness, c: string) => h.runtime.calls.filter((call) => call === `stop ${name(c)}`).length
  const callsOf = (h: Harness, call: string) => h.runtime.calls.filter((c) => c === call).length

  it('sends one SIGTERM to an unhealthy container, however long its graceful stop takes', async () => {
    const h = stopCounting('containers: { app: { image: app:1, health: { cmd: "true" } } }', 1)
    await h.supervisor.start()
    h.runtime.setEngineHealth(name('app'), 'healthy')
    await h.settle()
    h.runtime.holdStops()
    try {
      h.runtime.setEngineHealth(name('app'), 'unhealthy', 3)
      await h.settle()
      await h.advance(10_000)
      expect(stopsOf(h, 'app')).toBe(1)
      expect(h.runtime.byName(name('app'))?.status).toBe('running')
      expect(h.supervisor.snapshot().containers[0]).toMatchObject({ phase: 'stopping', restarts: 0 })
    } finally {
      h.runtime.releaseStops()
    }
    await h.advance(100)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    expect(stopsOf(h, 'app')).toBe(1)
    expect(h.supervisor.snapshot().containers[0]).toMatchObject({ phase: 'running', restarts: 1 })
  })

  it('stops an unhealthy container again on a later pass when the engine failed to stop it', async () => {
    const h = stopCounting('containers: { app: { image: app:1, health: { cmd: "true" } } }', 2)
    await h.supervisor.start()
    h.runtime.setEngineHealth(name('app'), 'healthy')
    await h.settle()
    h.runtime.holdStops()
    h.runtime.setEngineHealth(name('app'), 'unhealthy', 3)
    await h.settle()
    h.runtime.releaseStops({ fail: true })
    await h.settle()
    expect(stopsOf(h, 'app')).toBe(1)
    expect(h.supervisor.snapshot().containers[0]?.phase).toBe('running')

    await h.advance(10_000 + 100)
    expect(stopsOf(h, 'app')).toBe(2)
    expect(h.supervisor.snapshot().containers[0]).toMatchObject({ phase: 'running', restarts: 1 })
  })

  it('backs off a create that keeps failing, doubling, and calls it a crash loop', async () => {
    const h = harness(TWO_TIER)
    h.runtime.images.delete('app:1')
    await h.supervisor.start()
    const creates = () => callsOf(h, 'create web-app-i-test')
    expect(creates()).toBe(1)
    for (const delay of [100, 200, 400]) {
      const before = creates()
      await h.advance(delay - 1)
      expect(creates()).toBe(before)
      await h.advance(1)
      expect(creates()).toBe(before + 1)
    }
    expect(h.supervisor.instanceState).toBe('crash-loop')
    expect(h.supervisor.snapshot().detail).toBe('app restarted 3 times within 1m')
  })

  it('backs off a start that keeps failing (a port in use) from the first one, and calls it a crash loop', async () => {
    const h = harness(TWO_TIER)
    h.runtime.images.set('app:1', { failOnStart: 'port is already allocated' })
    await h.supervisor.start()
    const starts = () => callsOf(h, 'start web-app-i-test')
    expect(starts()).toBe(1)
    expect(h.supervisor.snapshot().containers.find((c) => c.name === 'app')?.detail).toContain('port is already allocated')
    for (const delay of [100, 200, 400]) {
      const before = starts()
      await h.advance(delay - 1)
      expect(starts()).toBe(before)
      await h.advance(1)
      expect(starts()).toBe(before + 1)
    }
    expect(callsOf(h, 'create web-app-i-test')).toBe(1)
    expect(h.supervisor.instanceState).toBe('crash-loop')
  })

  it('ends the start period at the first healthy answer, as Docker does', async () => {
    const h = harness('containers: { app: { image: app:1, health: { tcp: 3000, interval: 5s, retries: 3, startPeriod: 1m } } }')
    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.supervisor.start()
    await h.advance(200)
    expect(h.supervisor.instanceState).toBe('ready')

    h.probe.set('tcp:127.0.0.1:3000', false, 'connection refused')
    await h.advance(10_000)
    expect(stopsOf(h, 'app')).toBe(0)
    await h.advance(5_000)
    expect(stopsOf(h, 'app')).toBe(1)
  })

  it('stops a stale container with the stop timeout of the container that replaces it, else 10 s', async () => {
    const clock = new ManualClock()
    const runtime = new FakeRuntime(clock)
    runtime.images.set('app:1', {})
    const old = (container: string, containerName: string) =>
      runtime.create({
        name: containerName, image: 'app:1', labels: { [LABELS.instance]: 'i-test', [LABELS.service]: 'web', [LABELS.revision]: 'oldrevision0', [LABELS.container]: container },
        env: {}, network: 'host', ports: [], binds: [], tmpfs: [], stopTimeoutMs: 1000, logging: { driver: 'local', options: {} }, privileged: false,
      })
    await runtime.start(await old('app', name('app')))
    await runtime.start(await old('gone', name('gone')))
    const h = harness('containers: { app: { image: app:1, stopTimeout: 3s } }', { clock, runtime, probe: new FakeProbe() })
    await h.supervisor.start()
    expect(h.runtime.stops).toEqual([
      { name: name('app'), timeoutMs: 3_000 },
      { name: name('gone'), timeoutMs: 10_000 },
    ])
    expect(h.runtime.byName(name('app'))?.labels[LABELS.revision]).toBe(h.supervisor.snapshot().revision)
  })

  it('reconciles as soon as the event stream reopens: exits while it was closed sent no event', async () => {
    const h = harness('containers: { app: { image: app:1 } }', undefined, { reconcileIntervalMs: 600_000 })
    await h.supervisor.start()
    h.runtime.setDown(true)
    await h.advance(2_000) // reopening fails at 0.5 s and 1.5 s; the next try is at 3.5 s
    h.runtime.setDown(false)
    await h.advance(600) // the engine retry finds the app exited and starts it again
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    expect(h.runtime.openStreams()).toBe(0)

    h.runtime.crash(name('app'))
    await h.advance(1_400)
    expect(h.runtime.openStreams()).toBe(1)
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
  })

  it('starts the reopen delay afresh once the event stream is open again', async () => {
    const h = harness('containers: { app: { image: app:1 } }', undefined, { reconcileIntervalMs: 600_000 })
    await h.supervisor.start()
    h.runtime.setDown(true)
    await h.advance(20_000) // tries at 0.5, 1.5, 3.5, 7.5 and 15.5 s fail; the next is at 31.5 s
    h.runtime.setDown(false)
    await h.advance(12_000)
    expect(h.runtime.openStreams()).toBe(1)

    h.runtime.setDown(true) // a quick daemon restart
    await h.settle()
    h.runtime.setDown(false)
    expect(h.runtime.openStreams()).toBe(0)
    await h.advance(600)
    expect(h.runtime.openStreams()).toBe(1)
  })

  it("measures a run by the engine's exit time, not by when a pass noticed the exit", async () => {
    const clock = new ManualClock()
    const runtime = new DeafRuntime(clock)
    const h = harness('containers: { app: { image: app:1 } }', { clock, runtime, probe: new FakeProbe() }, { reconcileIntervalMs: 30_000 })
    await h.supervisor.start()
    await h.advance(1_000)
    h.runtime.crash(name('app'))
    await h.advance(29_000 + 100) // noticed at 30 s, started again 100 ms later
    expect(h.runtime.byName(name('app'))?.status).toBe('running')
    await h.advance(1_000)
    h.runtime.crash(name('app')) // after a 1 s run, noticed 29 s later
    await h.advance(29_000)
    const backoffs = h.logger.lines.filter((l) => l.message === 'container down; restarting after backoff').map((l) => l.fields.backoff)
    expect(backoffs).toEqual(['100ms', '200ms'])
  })

  it('removes and recreates a container Docker marked dead (it refuses to start those)', async () => {
    const h = harness('containers: { app: { image: app:1 } }')
    await h.supervisor.start()
    const first = h.runtime.byName(name('app'))?.id
    h.runtime.calls.length = 0
    h.runtime.markDead(name('app'))
    await h.advance(100)
    const second = h.runtime.byName(name('app'))
    expect(second?.status).toBe('running')
    expect(second?.id).not.toBe(first)
    expect(h.runtime.calls).toEqual(['remove web-app-i-test', 'create web-app-i-test', 'start web-app-i-test'])
  })

  it('keeps the boot failed once its deadline passed, even when every container gets healthy later', async () => {
    const h = harness(TWO_TIER)
    await h.supervisor.start()
    h.supervisor.fail('The containers did not all become healthy within the boot deadline of 5m: app starting.')
    await h.settle()
    expect(h.supervisor.instanceState).toBe('failed')

    h.probe.set('tcp:127.0.0.1:3000', true)
    await h.advance(200)
    expect(h.supervisor.snapshot().containers.every((c) => c.health === 'healthy')).toBe(true)
    expect(h.supervisor.instanceState).toBe('failed')
    expect(h.states).toEqual(['failed'])
  })
})
