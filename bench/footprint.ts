/**
 * Footprint: the agent's resident memory and CPU while it supervises 5 healthy `web` containers
 * (http checks at the default 5 s interval, the 10 s reconcile pass) and nothing happens.
 *
 * RSS is VmRSS from /proc/<pid>/status, sampled every second of the window (the maximum is the
 * figure held against the goal); CPU is utime + stime from /proc/<pid>/stat over the window.
 * Context: a bare node process, and the RSS of importing each of deckhand's main dependencies
 * alone. A what-if agent runs in the same window: the same dist/main.js under
 * node --max-semi-space-size=1 (a smaller V8 young generation).
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { images } from '../test/support/images.js'
import { FOOTPRINT_PORT_BASE, WHATIF_PORT_BASE, removeBenchContainers } from './lib/docker.js'
import { Child, capture, cpuTicksOf, memoryOf, sleep } from './lib/proc.js'
import { mb, median, ms, pct, verdict } from './lib/stats.js'
import { heading, table } from './lib/table.js'

/** `up` idle with 5 containers (issue 12): deckhand's own memory, RssAnon, at most 25 MB; VmRSS is reported beside it. */
export const ANON_GOAL = 25 * 1024 * 1024
export const CPU_GOAL = 0.005

export interface AgentFootprint {
  readonly rssEnd: number
  /** RssAnon and RssFile at the end of the window. */
  readonly anonEnd: number
  readonly fileEnd: number
  readonly rssMax: number
  readonly hwm: number
  readonly cpu: number
  readonly ticks: number
}

export interface ImportCost {
  readonly label: string
  readonly rss: number
  readonly anon: number
  readonly overBare: number
  /** How long the import took (median): start-up time it adds to every launch. */
  readonly loadMs: number
}

export interface FootprintResult {
  readonly windowMs: number
  readonly settleMs: number
  readonly clockTicks: number
  /** 1-minute load average at the end of the window. */
  readonly load: number
  readonly deckhand: AgentFootprint
  /** The same agent under other node flags, measured in the same window (what-ifs, not goals). */
  readonly whatIfs: { readonly label: string; readonly figures: AgentFootprint }[]
  readonly whatIfNotes: string[]
  readonly bare: number
  readonly bareAnon: number
  /** `node -e "setInterval(()=>{},1e3)"`, 2 s after spawn. */
  readonly bareLiteral: number
  readonly imports: ImportCost[]
  readonly goals: { readonly what: string; readonly goal: string; readonly measured: string; readonly pass: boolean }[]
}

const IMPORTS: readonly { label: string; code: string }[] = [
  { label: 'dockerode', code: "await import('dockerode')" },
  { label: '  docker-modem (dockerode\'s HTTP layer; requires ssh2)', code: "await import('docker-modem')" },
  { label: '  ssh2 (for ssh:// engines)', code: "await import('ssh2')" },
  { label: '  @grpc/grpc-js (BuildKit sessions)', code: "await import('@grpc/grpc-js')" },
  { label: '  @grpc/proto-loader + protobufjs', code: "await import('@grpc/proto-loader')" },
  { label: '  dockerode as deckhand loads it, with its probe (bench/raw-kit.ts)', code: "await import('./.tmp/bench-kit/raw-kit.js')" },
  { label: 'pino', code: "await import('pino')" },
  { label: 'zod', code: "await import('zod')" },
  { label: '  zod/mini (no smaller in zod 4: same core)', code: "await import('zod/mini')" },
  { label: 'yaml', code: "await import('yaml')" },
  { label: 'commander', code: "await import('commander')" },
  { label: 'node-cron', code: "await import('node-cron')" },
  { label: 'fetch (undici, first call; deckhand no longer probes with it)', code: "await fetch('http://127.0.0.1:9/').catch(() => undefined)" },
  { label: '  node:http get (the http probe)', code: "const http = await import('node:http'); await new Promise((r) => http.get('http://127.0.0.1:9/').on('error', r))" },
  {
    label: 'deckhand up\'s set: the six + p-limit, p-retry, node:http',
    code: "await Promise.all(['./.tmp/bench-kit/raw-kit.js', 'pino', 'zod', 'yaml', 'commander', 'node-cron', 'p-limit', 'p-retry', 'node:http'].map((m) => import(m)))",
  },
]

/** RSS of a node process that ran `code` and then idles, read 1.5 s after it said it was done. */
async function importRss(root: string, code: string): Promise<{ rss: number; anon: number; loadMs: number }> {
  const script = `const t = performance.now(); ${code}; console.log(JSON.stringify({ msg: 'loaded', ms: performance.now() - t })); setInterval(() => {}, 1000)`
  const args = ['--input-type=module', '-e', script]
  const child = new Child(process.execPath, args, { cwd: root })
  try {
    const loaded = await child.waitFor('loaded', (l) => l.msg === 'loaded', 30_000)
    await sleep(1_500)
    const m = await memoryOf(child.pid)
    return { rss: m.rss, anon: m.anon, loadMs: Number(loaded.line.ms) }
  } finally {
    await child.stop('SIGKILL', 0)
  }
}

const WHAT_IFS: readonly { label: string; service: string; portBase: number; flags: string[] }[] = [
  { label: 'what-if: node --max-semi-space-size=1', service: 'bench-footprint-semi', portBase: WHATIF_PORT_BASE, flags: ['--max-semi-space-size=1'] },
]

async function startAgent(options: { dir: string; root: string; service: string; portBase: number; flags: readonly string[] }): Promise<Child> {
  const file = join(options.dir, `${options.service}.yaml`)
  const lines = ['containers:']
  for (let i = 0; i < 5; i++) {
    const port = options.portBase + i
    lines.push(`  c${i}:`, `    image: ${images.web}`, `    env: { PORT: "${port}" }`, `    health: { http: "http://127.0.0.1:${port}/healthz" }`, '    stopTimeout: 2s')
  }
  await writeFile(file, `${lines.join('\n')}\n`)
  const agent = new Child(process.execPath, [...options.flags, 'dist/main.js', 'up', '-f', file, '--version', '1', '--service', options.service, '--log-format', 'json'], {
    cwd: options.root,
    env: { DECKHAND_STATE_DIR: join(options.dir, `state-${options.service}`), DECKHAND_LOG_LEVEL: 'info' },
  })
  await agent.waitFor(`${options.service} instance ready`, (l) => l.msg === 'instance ready', 60_000)
  return agent
}

export async function footprintBench(options: { dir: string; root: string; windowMs: number; settleMs: number; importRuns: number; log: (line: string) => void }): Promise<FootprintResult> {
  const clockTicks = Number((await capture('getconf', ['CLK_TCK'])) ?? 100)
  const agents: Child[] = []
  let deckhand: AgentFootprint
  const whatIfs: FootprintResult['whatIfs'][number][] = []
  const whatIfNotes: string[] = []
  let load = Number.NaN
  try {
    const main = await startAgent({ ...options, service: 'bench-footprint', portBase: FOOTPRINT_PORT_BASE, flags: [] })
    agents.push(main)
    const measured: { label: string; agent: Child }[] = [{ label: 'deckhand up', agent: main }]
    for (const variant of WHAT_IFS) {
      try {
        const agent = await startAgent({ ...options, ...variant })
        agents.push(agent)
        measured.push({ label: variant.label, agent })
      } catch (error) {
        whatIfNotes.push(`${variant.label}: did not get ready: ${(error as Error).message}`)
      }
    }
    options.log(`footprint: ${measured.length} agents ready; settling ${options.settleMs / 1000} s, then measuring for ${options.windowMs / 1000} s`)
    await sleep(options.settleMs)
    const startTicks = await Promise.all(measured.map((m) => cpuTicksOf(m.agent.pid)))
    const started = performance.now()
    const maxRss = measured.map(() => 0)
    while (performance.now() - started < options.windowMs) {
      const samples = await Promise.all(measured.map((m) => memoryOf(m.agent.pid)))
      samples.forEach((s, i) => (maxRss[i] = Math.max(maxRss[i] ?? 0, s.rss)))
      await sleep(Math.min(1_000, options.windowMs - (performance.now() - started)))
    }
    const elapsedS = (performance.now() - started) / 1000
    load = loadavg()[0] ?? Number.NaN
    const endTicks = await Promise.all(measured.map((m) => cpuTicksOf(m.agent.pid)))
    const ends = await Promise.all(measured.map((m) => memoryOf(m.agent.pid)))
    for (const m of measured) {
      if (!m.agent.running) throw new Error(`${m.label} exited during the window: ${m.agent.stderr.join('').slice(-500)}`)
    }
    const figures = measured.map((_, i): AgentFootprint => {
      const ticks = (endTicks[i] ?? 0) - (startTicks[i] ?? 0)
      const end = ends[i] ?? { rss: Number.NaN, hwm: Number.NaN, anon: Number.NaN, file: Number.NaN }
      return { rssEnd: end.rss, anonEnd: end.anon, fileEnd: end.file, rssMax: Math.max(maxRss[i] ?? 0, end.rss), hwm: end.hwm, ticks, cpu: ticks / clockTicks / elapsedS }
    })
    deckhand = figures[0] as AgentFootprint
    measured.slice(1).forEach((m, i) => whatIfs.push({ label: m.label, figures: figures[i + 1] as AgentFootprint }))
  } finally {
    await Promise.all(agents.map((a) => a.stop('SIGKILL', 0)))
    await removeBenchContainers('bench-footprint')
  }

  options.log('footprint: measuring bare node and one import at a time ...')
  const bareRuns: { rss: number; anon: number; loadMs: number }[] = []
  for (let r = 0; r < options.importRuns; r++) bareRuns.push(await importRss(options.root, 'await 0'))
  const bare = median(bareRuns.map((b) => b.rss))
  const bareAnon = median(bareRuns.map((b) => b.anon))
  const literalRuns: number[] = []
  for (let r = 0; r < options.importRuns; r++) {
    const child = new Child(process.execPath, ['-e', 'setInterval(()=>{},1e3)'], { cwd: options.root })
    try {
      await sleep(2_000)
      literalRuns.push((await memoryOf(child.pid)).rss)
    } finally {
      await child.stop('SIGKILL', 0)
    }
  }
  const bareLiteral = median(literalRuns)
  // Two at a time (2 cores): each child only loads and idles, and RSS is per process.
  const imports: ImportCost[] = new Array<ImportCost>(IMPORTS.length)
  let next = 0
  const worker = async () => {
    while (next < IMPORTS.length) {
      const index = next++
      const item = IMPORTS[index] as (typeof IMPORTS)[number]
      const runs: { rss: number; anon: number; loadMs: number }[] = []
      for (let r = 0; r < options.importRuns; r++) runs.push(await importRss(options.root, item.code))
      const rss = median(runs.map((x) => x.rss))
      imports[index] = { label: item.label, rss, anon: median(runs.map((x) => x.anon)), overBare: rss - bare, loadMs: median(runs.map((x) => x.loadMs)) }
    }
  }
  await Promise.all([worker(), worker()])

  const goals = [
    { what: `up RssAnon, idle, 5 containers (VmRSS max ${mb(deckhand.rssMax)})`, goal: `<= ${mb(ANON_GOAL)}`, measured: mb(deckhand.anonEnd), pass: deckhand.anonEnd <= ANON_GOAL },
    { what: 'agent idle CPU (share of one core)', goal: `<= ${pct(CPU_GOAL, 1)}`, measured: pct(deckhand.cpu, 2), pass: deckhand.cpu <= CPU_GOAL },
  ]
  return { windowMs: options.windowMs, settleMs: options.settleMs, clockTicks, deckhand, load, whatIfs, whatIfNotes, bare, bareAnon, bareLiteral, imports, goals }
}

export function printFootprint(result: FootprintResult): string {
  const out = [heading(`FOOTPRINT: agent idle with 5 healthy web containers (${result.windowMs / 1000} s window after ${result.settleMs / 1000} s settle)`)]
  const agentRow = (label: string, f: AgentFootprint) => [label, mb(f.rssEnd), mb(f.anonEnd), mb(f.fileEnd), mb(f.rssMax), mb(f.hwm), `${f.ticks} ticks`, pct(f.cpu, 2)]
  out.push(
    table(
      ['process', 'RSS at end', 'anon', 'file', 'RSS max', 'VmHWM (peak)', 'CPU (utime+stime)', 'CPU, one core'],
      [agentRow('deckhand up', result.deckhand), ...result.whatIfs.map((w) => agentRow(w.label, w.figures))],
    ),
  )
  for (const note of result.whatIfNotes) out.push(`what-if: ${note}`)
  out.push(`(the what-ifs ran in the same window; ${result.clockTicks} ticks a second; 1-minute load average at the end ${result.load.toFixed(1)})`)
  out.push('', `RSS of a node process that imports one module and idles (median; node -e "setInterval(()=>{},1e3)": ${mb(result.bareLiteral)})`)
  out.push(
    table(
      ['import', 'RSS', 'over bare node', 'anon', 'load time'],
      [['(bare node, ESM -e, nothing imported)', mb(result.bare), '-', mb(result.bareAnon), '-'], ...result.imports.map((i) => [i.label, mb(i.rss), `+${mb(i.overBare)}`, mb(i.anon), ms(i.loadMs)])],
    ),
  )
  out.push('(anon = RssAnon: heaps and code the process allocated; the rest is RssFile, mostly the node binary\'s own pages, shared by every node process)')
  out.push('', 'Goals')
  out.push(table(['goal', 'target', 'measured', 'verdict'], result.goals.map((g) => [g.what, g.goal, g.measured, verdict(g.pass)])))
  return out.join('\n')
}
