import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { DeckhandProcess, type LogRecord } from '../support/deckhand-process.js'
import { promisify } from 'node:util'
import { scrape, type Scrape } from '../adapters/metrics/prometheus-text.js'
import { restartDockerd } from '../support/docker-daemon.js'
import { images } from '../support/images.js'
import { waitFor } from '../support/wait.js'

/**
 * `deckhand up` as a person runs it: a real process, a real Docker engine, images from the
 * local registry. Each test has its own service name and state dir, and removes its containers.
 */
const docker = new Dockerode()
const runId = `e2e${process.pid}`
let dir: string
const processes: DeckhandProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deckhand-e2e-'))
})

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()))
})

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: ['deckhand.instance=local'] } })
  await Promise.all(left.filter((c) => (c.Labels['deckhand.service'] ?? '').startsWith(runId)).map((c) => docker.getContainer(c.Id).remove({ force: true })))
  await rm(dir, { recursive: true, force: true })
})

async function manifest(name: string, text: string): Promise<{ file: string; service: string; stateDir: string }> {
  const service = `${runId}-${name}`
  const file = join(dir, `${service}.yaml`)
  await writeFile(file, text)
  return { file, service, stateDir: join(dir, service) }
}

function up(m: { file: string; stateDir: string }, ...extra: string[]): DeckhandProcess {
  return upWith(m, {}, ...extra)
}

/** Each agent gets a metrics address of its own (port 0: any free one), so parallel agents do not meet there. */
function upWith(m: { file: string; stateDir: string }, env: Record<string, string>, ...extra: string[]): DeckhandProcess {
  const p = new DeckhandProcess(['up', '-f', m.file, '--log-format', 'json', ...extra], { DECKHAND_STATE_DIR: m.stateDir, DECKHAND_METRICS_ADDR: '127.0.0.1:0', ...env })
  processes.push(p)
  return p
}

/** The agent's metrics URL, from its log. */
async function metricsUrl(agent: DeckhandProcess): Promise<string> {
  return (await agent.waitForLog('serving metrics', (l) => l.msg === 'serving metrics and status')).url as string
}

/** Scrapes until `ok` holds, then returns that scrape. */
function scrapeUntil(what: string, url: string, ok: (s: Scrape) => boolean): Promise<Scrape> {
  return waitFor(what, async () => {
    const s = await scrape(url)
    return ok(s) ? s : undefined
  })
}

const ready = (l: LogRecord) => l.msg === 'instance ready'
const containerName = (service: string, container: string) => `${service}-${container}-local`
const inspect = (name: string) => docker.getContainer(name).inspect()

describe('deckhand up on a real engine', () => {
  it('starts in dependency order, each container only once its dependencies are healthy', async () => {
    const m = await manifest('order', `
containers:
  db:
    image: ${images.slow}
    env: { PORT: "18181", DELAY: "1" }
    health: { http: "http://127.0.0.1:18181/healthz", interval: 1s, timeout: 1s, retries: 30 }
    stopTimeout: 2s
  app:
    image: ${images.sleeper}
    dependsOn: [db]
    stopTimeout: 2s
`)
    const agent = up(m)
    await agent.waitForLog('ready', ready)
    const dbHealthy = agent.indexOf((l) => l.msg === 'container healthy' && l.container === 'db')
    const appStarted = agent.indexOf((l) => l.msg === 'container started' && l.container === 'app')
    expect(dbHealthy).toBeGreaterThanOrEqual(0)
    expect(appStarted).toBeGreaterThan(dbHealthy)
    const [db, app] = await Promise.all([inspect(containerName(m.service, 'db')), inspect(containerName(m.service, 'app'))])
    expect(new Date(app.State.StartedAt).getTime()).toBeGreaterThan(new Date(db.State.StartedAt).getTime())
    expect(app.Config.Labels).toMatchObject({ 'deckhand.instance': 'local', 'deckhand.service': m.service, 'deckhand.container': 'app' })
    expect(app.HostConfig.LogConfig).toEqual({ Type: 'local', Config: { 'max-size': '20m', 'max-file': '5' } })
    expect(app.HostConfig.SecurityOpt).toContain('no-new-privileges:true')
  })

  it('brings back a container after docker kill, and after docker rm -f', async () => {
    const m = await manifest('respawn', `
containers:
  web:
    image: ${images.web}
    env: { PORT: "18182" }
    health: { http: "http://127.0.0.1:18182/healthz", interval: 1s }
    stopTimeout: 2s
`)
    const agent = up(m)
    await agent.waitForLog('ready', ready)
    const name = containerName(m.service, 'web')
    const first = await inspect(name)

    await docker.getContainer(name).kill()
    await agent.waitForLog('restart after kill', (l) => l.msg === 'container restarted' && l.restarts === 1)
    await agent.waitForLog('healthy again', (l) => l.msg === 'instance ready' && agent.indexOf((x) => x.msg === 'container restarted') < agent.lines.indexOf(l))
    const afterKill = await inspect(name)
    expect(afterKill.Id).toBe(first.Id)
    expect(afterKill.State.Running).toBe(true)

    await docker.getContainer(name).remove({ force: true })
    await agent.waitForLog('recreated', (l) => l.msg === 'container restarted' && l.restarts === 2)
    const afterRemove = await waitFor('running again', async () => {
      const c = await inspect(name).catch(() => undefined)
      return c?.State.Running ? c : undefined
    })
    expect(afterRemove.Id).not.toBe(first.Id)
    expect(await (await fetch('http://127.0.0.1:18182/healthz')).text()).toContain('ok')
  })

  it('reports a crash-looping image as a crash loop', async () => {
    const m = await manifest('loop', `
containers:
  bad:
    image: ${images.crasher}
    env: { CRASH_AFTER: "0" }
    restart: { crashLoop: { restarts: 3, within: 1m } }
`)
    const agent = up(m)
    const url = await metricsUrl(agent)
    const line = await agent.waitForLog('crash loop', (l) => l.msg === 'instance crash-loop')
    expect(line.reason).toBe('bad restarted 3 times within 1m')
    const metrics = await scrapeUntil('the metrics to say crash-loop', url, (s) => s.value('deckhand_instance_state', { state: 'crash-loop' }) === 1)
    expect(metrics.value('deckhand_instance_state', { state: 'ready' })).toBe(0)
    expect(metrics.value('deckhand_container_restarts_total', { container: 'bad' })).toBeGreaterThanOrEqual(3)
    expect(metrics.value('deckhand_container_last_exit_code', { container: 'bad' })).toBe(3)
    // The state is logged as it changes; the status file follows at the end of that pass.
    const status = await waitFor('the status file to say crash-loop', async () => {
      const s = JSON.parse(await readFile(join(m.stateDir, 'status.json'), 'utf8')) as { state: string; detail?: string }
      return s.state === 'crash-loop' ? s : undefined
    })
    expect(status.detail).toBe('bad restarted 3 times within 1m')
  })

  it('adopts its containers after being SIGKILLed: the same containers keep running, none restarted', async () => {
    const m = await manifest('adopt', `
containers:
  a: { image: ${images.sleeper}, stopTimeout: 2s }
  b: { image: ${images.tcp}, env: { PORT: "18183" }, health: { tcp: 18183, interval: 1s }, dependsOn: [a], stopTimeout: 2s }
`)
    const first = up(m)
    await first.waitForLog('ready', ready)
    const before = await Promise.all(['a', 'b'].map((c) => inspect(containerName(m.service, c))))
    first.signal('SIGKILL')
    await first.exited

    const second = up(m)
    await second.waitForLog('ready', ready)
    const after = await Promise.all(['a', 'b'].map((c) => inspect(containerName(m.service, c))))
    expect(after.map((c) => [c.Id, c.State.StartedAt])).toEqual(before.map((c) => [c.Id, c.State.StartedAt]))
    expect(second.lines.filter((l) => l.msg === 'adopted running container').map((l) => l.container).sort()).toEqual(['a', 'b'])
    expect(second.lines.some((l) => l.msg === 'container started' || l.msg === 'container restarted')).toBe(false)
  })

  it('drains in reverse dependency order on SIGTERM and exits 0', async () => {
    const m = await manifest('drain', `
containers:
  first:  { image: ${images.sleeper}, env: { NAME: first, STOP_LOG: /data/stops }, volumes: ["data:/data"], stopTimeout: 5s }
  second: { image: ${images.sleeper}, env: { NAME: second, STOP_LOG: /data/stops }, volumes: ["data:/data"], dependsOn: [first], stopTimeout: 5s }
  third:  { image: ${images.sleeper}, env: { NAME: third, STOP_LOG: /data/stops }, volumes: ["data:/data"], dependsOn: [second], stopTimeout: 5s }
volumes:
  data: { instance: {} }
`)
    const agent = up(m)
    await agent.waitForLog('ready', ready)
    agent.signal('SIGTERM')
    expect(await agent.exited).toBe(0)
    const stops = (await readFile(join(m.stateDir, 'volumes', m.service, 'data', 'stops'), 'utf8')).trim().split('\n').map((line) => line.split(' ')[0])
    expect(stops).toEqual(['third', 'second', 'first'])
    const states = await Promise.all(['first', 'second', 'third'].map((c) => inspect(containerName(m.service, c))))
    expect(states.every((s) => !s.State.Running)).toBe(true)
  })

  it('reconciles after the Docker daemon restarts', async () => {
    const m = await manifest('daemon', `
containers:
  web: { image: ${images.web}, env: { PORT: "18184" }, health: { http: "http://127.0.0.1:18184/healthz", interval: 1s }, stopTimeout: 2s }
`)
    const agent = up(m)
    await agent.waitForLog('ready', ready)
    const before = await inspect(containerName(m.service, 'web'))
    await restartDockerd()
    await agent.waitForLog('reconnected', (l) => l.msg === 'Docker engine reachable again; reconciling' || (l.msg === 'container restarted' && l.restarts === 1), 60_000)
    const after = await waitFor('web running again', async () => {
      const c = await inspect(containerName(m.service, 'web')).catch(() => undefined)
      return c?.State.Running && c.State.StartedAt !== before.State.StartedAt ? c : undefined
    }, { timeoutMs: 60_000 })
    expect(after.Id).toBe(before.Id)
    await waitFor('healthy', async () => (await fetch('http://127.0.0.1:18184/healthz').catch(() => undefined))?.ok, { timeoutMs: 30_000 })
  }, 120_000)

  it('refuses a container name it does not own, in one sentence, and touches nothing', async () => {
    const m = await manifest('clash', `containers: { web: { image: ${images.sleeper} } }`)
    const squatter = await docker.createContainer({ name: containerName(m.service, 'web'), Image: images.sleeper, Labels: { 'deckhand.test': runId } })
    try {
      const agent = up(m)
      expect(await agent.exited).toBe(1)
      expect(agent.stderr.join('').trim()).toBe(
        `A container named ${containerName(m.service, 'web')} already exists and deckhand does not own it; rename or remove it yourself (deckhand never touches containers it did not create).`,
      )
      expect((await squatter.inspect()).Id).toBeDefined()
    } finally {
      await squatter.remove({ force: true })
    }
  })

  it('says in one sentence when an image does not exist', async () => {
    const m = await manifest('noimage', `containers: { web: { image: "127.0.0.1:5000/deckhand-test/does-not-exist:1" } }`)
    const agent = up(m)
    expect(await agent.exited).toBe(1)
    const stderr = agent.stderr.join('').trim()
    expect(stderr.split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/127\.0\.0\.1:5000\/deckhand-test\/does-not-exist:1/)
  })

  it('serves metrics that match what happened: a kill -9 raises restarts by one, and status reads the endpoint', async () => {
    const m = await manifest('metrics', `containers: { app: { image: ${images.sleeper}, stopTimeout: 2s } }`)
    const agent = up(m)
    const url = await metricsUrl(agent)
    await agent.waitForLog('ready', ready)
    const before = await scrapeUntil('the metrics to say ready', url, (s) => s.value('deckhand_instance_state', { state: 'ready' }) === 1)
    expect(before.value('deckhand_container_up', { container: 'app' })).toBe(1)
    expect(before.value('deckhand_container_healthy', { container: 'app' })).toBe(1)
    expect(before.value('deckhand_container_restarts_total', { container: 'app' })).toBe(0)
    expect(before.value('deckhand_docker_calls_total', { operation: 'create', outcome: 'ok' })).toBe(1)
    expect(before.value('deckhand_docker_calls_total', { operation: 'start', outcome: 'ok' })).toBe(1)
    expect(before.value('deckhand_boot_duration_seconds', { outcome: 'ready' })).toBeGreaterThan(0)
    expect(before.histogram('deckhand_respawn_duration_seconds')?.count).toBe(0)

    process.kill((await inspect(containerName(m.service, 'app'))).State.Pid, 'SIGKILL')
    await agent.waitForLog('restarted', (l) => l.msg === 'container restarted' && l.restarts === 1)
    const after = await scrapeUntil('the metrics to count the restart', url, (s) => s.value('deckhand_container_restarts_total', { container: 'app' }) === 1 && s.value('deckhand_container_up', { container: 'app' }) === 1)
    expect(after.value('deckhand_container_last_exit_code', { container: 'app' })).toBe(137)
    expect(after.value('deckhand_container_oom_kills_total', { container: 'app' })).toBe(0)
    expect(after.histogram('deckhand_respawn_duration_seconds')?.count).toBe(1)
    expect(after.value('deckhand_docker_calls_total', { operation: 'start', outcome: 'ok' })).toBe(2)

    const served = (await (await fetch(`${url}/status`)).json()) as { pid: number; containers: { name: string; restarts: number }[] }
    expect(served).toMatchObject({ pid: agent.pid, service: m.service, containers: [{ name: 'app', restarts: 1 }] })
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', 'status', '--json'], {
      env: { ...process.env, DECKHAND_STATE_DIR: m.stateDir, DECKHAND_METRICS_ADDR: url.replace('http://', '') },
    })
    expect(JSON.parse(stdout)).toMatchObject({ pid: agent.pid, running: true, containers: [{ name: 'app', restarts: 1 }] })
  })

  it('keeps supervising when the metrics address is taken, and says so in one sentence naming it and DECKHAND_METRICS_ADDR', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const address = `127.0.0.1:${(taken.address() as AddressInfo).port}`
      const m = await manifest('taken', `containers: { app: { image: ${images.sleeper}, stopTimeout: 2s } }`)
      const agent = upWith(m, { DECKHAND_METRICS_ADDR: address })
      await agent.waitForLog('ready', ready)
      expect(agent.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        `${address} is already in use, so deckhand serves no metrics or status there and keeps supervising; set DECKHAND_METRICS_ADDR to a free host:port, or to off.`,
      ])
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })
})
