/**
 * `npm run bench`: boot, respawn and footprint of deckhand, each side by side with a baseline
 * measured in the same run on the same engine. BENCH_QUICK=1 runs a short smoke version (fewer
 * samples, shorter windows). Cleans up every container, process and temp dir it made, even when
 * interrupted. Figures and method: docs/benchmarks.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertTestEnvironment } from '../test/support/images.js'
import { bootBench, printBoot, type BootResult } from './boot.js'
import { footprintBench, printFootprint, type FootprintResult } from './footprint.js'
import { engineVersion, ensureImages, removeBenchContainers, removeBenchNetworks } from './lib/docker.js'
import { capture, killAllChildren } from './lib/proc.js'
import { buildRawKit } from './lib/raw-kit.js'
import { verdict } from './lib/stats.js'
import { heading, table } from './lib/table.js'
import { printRespawn, RESPAWN_GOAL, respawnBench, type RespawnResult } from './respawn.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const quick = process.env.BENCH_QUICK === '1'
const mode = quick
  ? { name: 'QUICK (BENCH_QUICK=1: smoke run, too few samples for the figures)', bootRuns: 2, kills: 3, windowMs: 15_000, settleMs: 3_000, importRuns: 1 }
  : { name: 'FULL', bootRuns: 7, kills: 20, windowMs: 60_000, settleMs: 10_000, importRuns: 3 }
const SIZES = [1, 5, 20]
const PERIOD_MS = 11_500
/** The compose binary; BENCH_COMPOSE=none (or any missing program) skips the column. */
const COMPOSE = process.env.BENCH_COMPOSE ?? 'docker-compose'

const started = performance.now()
const log = (line: string) => {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(4)
  process.stdout.write(`[${s}s] ${line}\n`)
}

let dir: string | undefined
let cleaning: Promise<void> | undefined
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await killAllChildren().catch(() => undefined)
    await removeBenchContainers().catch((error: unknown) => log(`cleanup: could not remove containers: ${String(error)}`))
    await removeBenchNetworks().catch(() => undefined)
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`)
    void cleanup().finally(() => process.exit(130))
  })
}

async function machine(): Promise<Record<string, string>> {
  const engine = await engineVersion()
  const compose = await capture(COMPOSE, ['version', '--short'])
  const cpu = cpus()[0]?.model ?? '?'
  return {
    nproc: (await capture('nproc', [])) ?? String(cpus().length),
    cpu,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: release(),
    docker: `${engine.server} (API ${engine.api}, cgroup v${engine.cgroup}, ${engine.storage})`,
    node: process.version,
    'docker-compose': compose ?? 'not installed',
    'load average at start': loadavg().map((l) => l.toFixed(2)).join(' '),
  }
}

async function main(): Promise<number> {
  log(`deckhand bench, mode ${mode.name}`)
  try {
    await assertTestEnvironment()
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    return 1
  }
  try {
    await buildRawKit(ROOT)
  } catch (error) {
    process.stderr.write(`Could not bundle bench/raw-kit.ts: ${(error as Error).message}\n`)
    return 1
  }
  try {
    await ensureImages()
    const leftovers = await removeBenchContainers()
    if (leftovers > 0) log(`removed ${leftovers} container(s) left by an earlier bench run`)
  } catch (error) {
    process.stderr.write(`The engine is not usable for the bench: ${(error as Error).message}\n`)
    return 1
  }
  dir = await mkdtemp(join(tmpdir(), 'deckhand-bench-'))
  const info = await machine()
  const composeVersion = await capture(COMPOSE, ['version', '--short'])
  const composeNote = composeVersion
    ? `v${composeVersion} (no --wait in v1: the bench probes each container from its start event)`
    : `${COMPOSE} is not installed (apt-get install -y docker-compose gives v1); column skipped`
  if (!composeVersion) log(`NOTE: ${composeNote}`)

  let boot: BootResult | undefined
  let respawn: RespawnResult | undefined
  let footprint: FootprintResult | undefined
  const errors: string[] = []
  try {
    try {
      boot = await bootBench({ dir, root: ROOT, runs: mode.bootRuns, sizes: SIZES, compose: composeVersion ? COMPOSE : undefined, composeNote, log })
      console.log(printBoot(boot))
    } catch (error) {
      errors.push(`boot: ${(error as Error).stack ?? String(error)}`)
      log(`boot section failed: ${(error as Error).message}`)
    }
    await removeBenchContainers()
    try {
      respawn = await respawnBench({ dir, root: ROOT, kills: mode.kills, periodMs: PERIOD_MS, log })
      console.log(printRespawn(respawn))
    } catch (error) {
      errors.push(`respawn: ${(error as Error).stack ?? String(error)}`)
      log(`respawn section failed: ${(error as Error).message}`)
    }
    await removeBenchContainers()
    try {
      footprint = await footprintBench({ dir, root: ROOT, windowMs: mode.windowMs, settleMs: mode.settleMs, importRuns: mode.importRuns, log })
      console.log(printFootprint(footprint))
    } catch (error) {
      errors.push(`footprint: ${(error as Error).stack ?? String(error)}`)
      log(`footprint section failed: ${(error as Error).message}`)
    }
  } finally {
    await cleanup()
  }

  info['load average at end'] = loadavg().map((l) => l.toFixed(2)).join(' ')
  info['bench wall time'] = `${((performance.now() - started) / 1000).toFixed(0)} s`
  console.log(heading(`SUMMARY (mode ${quick ? 'QUICK' : 'FULL'})`))
  console.log(table(['machine', ''], Object.entries(info)))
  const rows: string[][] = []
  for (const g of boot?.goals ?? []) {
    rows.push([`boot N=${g.n}, ${g.measure}, p50`, 'overhead <= 15%', `${(g.overheadP50 * 100).toFixed(1)}%`, verdict(g.passP50)])
    rows.push([`boot N=${g.n}, ${g.measure}, p95`, 'overhead <= 15%', `${(g.overheadP95 * 100).toFixed(1)}%`, verdict(g.passP95)])
  }
  for (const g of respawn?.goals ?? []) rows.push([`respawn after kill -9, ${g.percentile}`, `<= ${RESPAWN_GOAL[g.percentile]}x Docker`, `${g.ratio.toFixed(2)}x`, verdict(g.pass)])
  for (const g of footprint?.goals ?? []) rows.push([g.what, g.goal, g.measured, verdict(g.pass)])
  console.log(table(['goal', 'target', 'measured', 'verdict'], rows))
  for (const error of errors) console.log(`SECTION FAILED: ${error}`)

  const out = process.env.BENCH_OUT ?? join(tmpdir(), `deckhand-bench-${quick ? 'quick' : 'full'}-${Date.now()}.json`)
  await writeFile(out, JSON.stringify({ mode: quick ? 'quick' : 'full', machine: info, boot, respawn, footprint, errors }, null, 2))
  log(`raw figures written to ${out}`)
  return errors.length === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`)
    await cleanup()
    process.exit(1)
  },
)
