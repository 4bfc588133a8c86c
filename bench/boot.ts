import { DEFAULT_FAST_PROBE_MS } from '../src/core/supervisor/supervisor.js'
/**
 * Boot: from launching a process to every container healthy, for N `web` containers (busybox
 * httpd on distinct host ports) with an http check on /healthz.
 *
 * - deckhand: `node dist/main.js up ...`, until its "instance ready" line.
 * - raw API: bench/raw-boot.mjs, a node process that sends the same create + start calls with
 *   deckhand's own client, dockerode as src/adapters/docker/lean-dockerode.ts loads it (same image, host network, labels, log driver, security options) for all N at once
 *   and probes each with deckhand's own probe and schedule (at once, then every DEFAULT_FAST_PROBE_MS, 100 ms).
 * - raw API, 10 ms probe: the same with a tight probe loop; context, not the goal's baseline:
 *   it shows what deckhand's fast-probe cadence costs.
 * - docker-compose up -d (v1, if installed): the bench probes each container from its Docker
 *   `start` event on the same schedule, since v1 has no --wait.
 *
 * Two times: from spawn (node start-up and module loading included), and from the process's
 * first stdout line ("deckhand up" / "start", printed once the Docker client is loaded) to ready.
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { images } from '../test/support/images.js'
import { BENCH_LABEL, BOOT_PORT_BASE, EventWatch, createBody, docker, removeBenchContainers, removeBenchNetworks } from './lib/docker.js'
import { Child } from './lib/proc.js'
import { probeUntilHealthy } from './lib/probe.js'
import { rawKitPath } from './lib/raw-kit.js'
import { ms, signedPct, summarize, verdict, type Summary } from './lib/stats.js'
import { heading, table } from './lib/table.js'

export type BootSystem = 'deckhand' | 'raw' | 'raw-10ms' | 'compose'

export const SYSTEM_LABELS: Record<BootSystem, string> = {
  deckhand: 'deckhand up',
  raw: 'raw API (dockerode), same probe',
  'raw-10ms': 'raw API, 10 ms probe',
  compose: 'docker-compose up -d',
}

export interface BootRun {
  readonly fromSpawnMs: number
  readonly fromFirstLineMs?: number
}

export interface BootResult {
  readonly sizes: number[]
  readonly runs: number
  readonly systems: BootSystem[]
  readonly composeNote?: string
  readonly parity: string[]
  readonly samples: Record<string, BootRun[]>
  readonly failures: string[]
  readonly goals: BootGoal[]
  /** 1-minute load average after each round: the host is shared, this says how busy it was. */
  readonly loads: number[]
}

export interface BootGoal {
  readonly n: number
  readonly measure: 'from spawn' | 'from first line'
  readonly deckhand: Summary
  readonly raw: Summary
  readonly overheadP50: number
  readonly overheadP95: number
  readonly passP50: boolean
  readonly passP95: boolean
}

export const BOOT_GOAL = 0.15
// deckhand's own fast-probe period, so the raw baseline probes on the same schedule.
const PROBE_MS = DEFAULT_FAST_PROBE_MS
const key = (system: BootSystem, n: number) => `${system}/${n}`

interface Context {
  readonly dir: string
  readonly root: string
  readonly compose: string | undefined
}

let counter = 0

function port(i: number): number {
  return BOOT_PORT_BASE + i
}

async function runDeckhand(ctx: Context, n: number): Promise<BootRun & { service: string }> {
  const service = `bench-dh${n}-${++counter}`
  const file = join(ctx.dir, `${service}.yaml`)
  const lines = ['containers:']
  for (let i = 0; i < n; i++) {
    lines.push(`  c${i}:`, `    image: ${images.web}`, `    env: { PORT: "${port(i)}" }`, `    health: { http: "http://127.0.0.1:${port(i)}/healthz" }`)
  }
  await writeFile(file, `${lines.join('\n')}\n`)
  const child = new Child(process.execPath, ['dist/main.js', 'up', '-f', file, '--version', '1', '--service', service, '--log-format', 'json'], {
    cwd: ctx.root,
    env: { DECKHAND_STATE_DIR: join(ctx.dir, `state-${service}`), DECKHAND_LOG_LEVEL: 'info' },
  })
  try {
    const first = await child.waitFor('first log line', () => true, 60_000)
    const ready = await child.waitFor('instance ready', (l) => l.msg === 'instance ready', 60_000)
    return { service, fromSpawnMs: ready.at - child.spawnedAt, fromFirstLineMs: ready.at - first.at }
  } finally {
    await child.stop('SIGKILL', 0)
  }
}

function rawPlan(prefix: string, n: number, probeMs: number): string {
  const containers = Array.from({ length: n }, (_, i) => {
    const { name, body } = createBody({
      name: `${prefix}-c${i}`,
      image: images.web,
      env: { PORT: String(port(i)) },
      labels: { 'deckhand.instance': 'bench', 'deckhand.service': prefix, 'deckhand.revision': 'raw', 'deckhand.container': `c${i}` },
    })
    return { name, body, url: `http://127.0.0.1:${port(i)}/healthz` }
  })
  return JSON.stringify({ probeMs, containers })
}

async function runRaw(ctx: Context, n: number, probeMs: number): Promise<BootRun> {
  const prefix = `bench-raw${n}-${++counter}`
  const child = new Child(process.execPath, [join(ctx.root, 'bench/raw-boot.mjs'), rawPlan(prefix, n, probeMs)], { cwd: ctx.root, env: { RAW_KIT: rawKitPath(ctx.root) } })
  try {
    const first = await child.waitFor('start line', (l) => l.msg === 'start', 60_000)
    const ready = await child.waitFor('ready line', (l) => l.msg === 'ready', 60_000)
    return { fromSpawnMs: ready.at - child.spawnedAt, fromFirstLineMs: ready.at - first.at }
  } finally {
    await child.stop('SIGKILL', 0)
    await removeBenchContainers(`${prefix}-`)
  }
}

async function runCompose(ctx: Context, n: number): Promise<BootRun> {
  const project = `bench-cp${n}-${++counter}`
  const file = join(ctx.dir, `${project}.yml`)
  const services = Array.from({ length: n }, (_, i) =>
    [
      `  c${i}:`,
      `    image: ${images.web}`,
      `    container_name: ${project}-c${i}`,
      '    network_mode: host',
      `    environment: { PORT: "${port(i)}" }`,
      `    labels: { ${BENCH_LABEL}: "1", deckhand.bench.run: "${project}", deckhand.bench.port: "${port(i)}", deckhand.instance: bench, deckhand.service: ${project}, deckhand.revision: compose, deckhand.container: c${i} }`,
      '    logging: { driver: local, options: { max-size: 20m, max-file: "5" } }',
      '    security_opt: ["no-new-privileges:true"]',
      '    stop_grace_period: 30s',
      '    restart: "no"',
    ].join('\n'),
  )
  await writeFile(file, `version: "2.4"\nservices:\n${services.join('\n')}\n`)
  const watch = await EventWatch.open({ event: ['start'], label: [`deckhand.bench.run=${project}`] })
  const probes: Promise<void>[] = []
  let allHealthy: () => void = () => undefined
  const done = new Promise<void>((resolve) => (allHealthy = resolve))
  let healthy = 0
  watch.onEvent((event) => {
    const p = event.attributes['deckhand.bench.port']
    if (p === undefined) return
    probes.push(
      probeUntilHealthy(`http://127.0.0.1:${p}/healthz`, PROBE_MS).then(() => {
        if (++healthy === n) allHealthy()
      }),
    )
  })
  const child = new Child(ctx.compose ?? 'docker-compose', ['-p', project, '-f', file, 'up', '-d'], { cwd: ctx.dir })
  try {
    let finished = false
    const failure = new Promise<never>((_, reject) => {
      void child.exited.then((code) => {
        if (!finished && code !== 0) reject(new Error(`docker-compose exited ${code}: ${child.stderr.join('').slice(-800)}`))
      })
      const timer = setTimeout(() => {
        if (!finished) reject(new Error('compose: containers not healthy within 90 s'))
      }, 90_000)
      void done.then(() => clearTimeout(timer))
    })
    failure.catch(() => undefined)
    await Promise.race([done, failure])
    finished = true
    const at = performance.now()
    await child.exited
    await Promise.allSettled(probes)
    return { fromSpawnMs: at - child.spawnedAt }
  } finally {
    watch.close()
    await child.stop('SIGKILL', 0)
    await removeBenchContainers(`${project}-`)
    await removeBenchNetworks()
  }
}

/** Checks that the raw baseline's create call matches what deckhand actually sent. */
async function parityCheck(ctx: Context): Promise<string[]> {
  const service = `bench-parity-${++counter}`
  const file = join(ctx.dir, `${service}.yaml`)
  await writeFile(file, `containers:\n  c0:\n    image: ${images.web}\n    env: { PORT: "${port(0)}" }\n    health: { http: "http://127.0.0.1:${port(0)}/healthz" }\n`)
  const child = new Child(process.execPath, ['dist/main.js', 'up', '-f', file, '--version', '1', '--service', service, '--log-format', 'json'], {
    cwd: ctx.root,
    env: { DECKHAND_STATE_DIR: join(ctx.dir, `state-${service}`), DECKHAND_LOG_LEVEL: 'info' },
  })
  try {
    await child.waitFor('instance ready', (l) => l.msg === 'instance ready', 60_000)
    const info = await docker.getContainer(`${service}-c0-local`).inspect()
    const image = await docker.getImage(images.web).inspect()
    const { body } = createBody({ name: 'x', image: images.web, env: { PORT: String(port(0)) }, labels: {} })
    const host = body.HostConfig as Record<string, unknown>
    const hc = info.HostConfig as unknown as Record<string, unknown>
    const config = info.Config as unknown as Record<string, unknown>
    const differences: string[] = []
    // Key order and fields the engine fills in with defaults do not matter.
    const canonical = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v))
    const compare = (what: string, ours: unknown, theirs: unknown) => {
      if (canonical(ours) !== canonical(theirs)) differences.push(`${what}: bench ${canonical(ours)}, deckhand ${canonical(theirs)}`)
    }
    for (const field of ['NetworkMode', 'LogConfig', 'Privileged', 'SecurityOpt']) compare(`HostConfig.${field}`, host[field], hc[field])
    compare('HostConfig.RestartPolicy.Name', 'no', (hc.RestartPolicy as { Name?: string } | undefined)?.Name)
    compare('HostConfig.NanoCpus', 0, hc.NanoCpus ?? 0)
    compare('HostConfig.Memory', 0, hc.Memory ?? 0)
    compare('Config.StopTimeout', body.StopTimeout, config.StopTimeout)
    compare('Config.Healthcheck', undefined, config.Healthcheck)
    compare('Config.Env', [`PORT=${port(0)}`], (info.Config.Env ?? []).filter((e) => e.startsWith('PORT=')))
    // The image's own labels show up on both; deckhand sets 4, the raw baseline the same 4 names plus deckhand.bench=1.
    const own = Object.keys(info.Config.Labels ?? {}).filter((k) => !(k in (image.Config.Labels ?? {})))
    compare('labels deckhand sets', ['deckhand.container', 'deckhand.instance', 'deckhand.revision', 'deckhand.service'], own.sort())
    return differences
  } finally {
    await child.stop('SIGKILL', 0)
    await removeBenchContainers(`${service}-`)
  }
}

export async function bootBench(options: { dir: string; root: string; runs: number; sizes: number[]; compose: string | undefined; composeNote?: string; log: (line: string) => void }): Promise<BootResult> {
  const ctx: Context = { dir: options.dir, root: options.root, compose: options.compose }
  const systems: BootSystem[] = ['deckhand', 'raw', 'raw-10ms', ...(options.compose ? (['compose'] as const) : [])]
  const samples: Record<string, BootRun[]> = {}
  const failures: string[] = []
  const loads: number[] = []
  const runOne = async (system: BootSystem, n: number): Promise<BootRun> => {
    switch (system) {
      case 'deckhand': {
        const run = await runDeckhand(ctx, n)
        await removeBenchContainers(`${run.service}-`)
        return run
      }
      case 'raw':
        return runRaw(ctx, n, PROBE_MS)
      case 'raw-10ms':
        return runRaw(ctx, n, 10)
      case 'compose':
        return runCompose(ctx, n)
    }
  }

  options.log('boot: checking that the raw baseline sends what deckhand sends ...')
  const parity = await parityCheck(ctx)
  options.log(parity.length === 0 ? 'boot: create calls match (network, log driver, security, restart policy, stop timeout, labels)' : `boot: create calls DIFFER: ${parity.join('; ')}`)

  // One discarded run of each system warms the page cache, node's compile cache and dockerd.
  for (const system of systems) {
    try {
      await runOne(system, 1)
    } catch (error) {
      options.log(`boot: warm-up of ${system} failed: ${(error as Error).message}`)
    }
  }

  for (const n of options.sizes) {
    for (let r = 0; r < options.runs; r++) {
      // Rotate the order each round so that no system always runs right after the same one.
      const order = systems.map((_, i) => systems[(i + r) % systems.length] as BootSystem)
      const parts: string[] = []
      for (const system of order) {
        try {
          const run = await runOne(system, n)
          ;(samples[key(system, n)] ??= []).push(run)
          parts.push(`${system} ${ms(run.fromSpawnMs)}`)
        } catch (error) {
          failures.push(`${system} N=${n} run ${r + 1}: ${(error as Error).message}`)
          parts.push(`${system} FAILED`)
          await removeBenchContainers().catch(() => undefined)
        }
      }
      const load = loadavg()[0] ?? Number.NaN
      loads.push(load)
      options.log(`boot: N=${n} run ${r + 1}/${options.runs}: ${parts.join(', ')} (load ${load.toFixed(1)})`)
    }
  }

  const goals: BootGoal[] = []
  for (const n of options.sizes) {
    for (const measure of ['from spawn', 'from first line'] as const) {
      const pick = (system: BootSystem) => (samples[key(system, n)] ?? []).map((s) => (measure === 'from spawn' ? s.fromSpawnMs : s.fromFirstLineMs ?? Number.NaN))
      const deckhand = summarize(pick('deckhand'))
      const raw = summarize(pick('raw'))
      const overheadP50 = deckhand.p50 / raw.p50 - 1
      const overheadP95 = deckhand.p95 / raw.p95 - 1
      goals.push({ n, measure, deckhand, raw, overheadP50, overheadP95, passP50: overheadP50 <= BOOT_GOAL, passP95: overheadP95 <= BOOT_GOAL })
    }
  }
  return { sizes: options.sizes, runs: options.runs, systems, ...(options.composeNote ? { composeNote: options.composeNote } : {}), parity, samples, failures, goals, loads }
}

export function printBoot(result: BootResult): string {
  const out: string[] = [heading(`BOOT: launch to every container healthy (web + http check, ${result.runs} runs each)`)]
  const rows: string[][] = []
  for (const n of result.sizes) {
    const raw = summarize((result.samples[key('raw', n)] ?? []).map((s) => s.fromSpawnMs))
    for (const system of result.systems) {
      const runs = result.samples[key(system, n)] ?? []
      const spawn = summarize(runs.map((s) => s.fromSpawnMs))
      const first = summarize(runs.map((s) => s.fromFirstLineMs ?? Number.NaN).filter(Number.isFinite))
      rows.push([
        String(n),
        SYSTEM_LABELS[system],
        String(runs.length),
        ms(spawn.p50),
        ms(spawn.p95),
        first.n === 0 ? 'n/a' : ms(first.p50),
        first.n === 0 ? 'n/a' : ms(first.p95),
        system === 'raw' ? 'baseline' : signedPct(spawn.p50 / raw.p50 - 1),
      ])
    }
  }
  out.push(table(['N', 'system', 'runs', 'spawn p50', 'spawn p95', '1st line p50', '1st line p95', 'vs raw (spawn p50)'], rows))
  out.push(`1-minute load average after each round: ${Math.min(...result.loads).toFixed(1)} to ${Math.max(...result.loads).toFixed(1)} (2 cores; the engine is shared with other work)`)
  if (!result.systems.includes('compose')) out.push(`docker-compose: not measured (${result.composeNote ?? 'not installed'})`)
  else if (result.composeNote) out.push(`docker-compose: ${result.composeNote}`)
  out.push('', `Goal: deckhand's overhead over the raw-API floor (same probe) <= ${BOOT_GOAL * 100}%`)
  out.push(
    table(
      ['N', 'measured', 'deckhand p50', 'raw p50', 'overhead p50', 'p50 goal', 'deckhand p95', 'raw p95', 'overhead p95', 'p95 goal'],
      result.goals.map((g) => [String(g.n), g.measure, ms(g.deckhand.p50), ms(g.raw.p50), signedPct(g.overheadP50), verdict(g.passP50), ms(g.deckhand.p95), ms(g.raw.p95), signedPct(g.overheadP95), verdict(g.passP95)]),
    ),
  )
  if (result.parity.length > 0) out.push(`NOTE: the baseline's create call differs from deckhand's: ${result.parity.join('; ')}`)
  for (const failure of result.failures) out.push(`FAILED RUN: ${failure}`)
  return out.join('\n')
}
