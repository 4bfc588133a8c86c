/**
 * Respawn: from a crash to the container running again.
 *
 * A crash is `kill -9` of the container's main process from the host (its State.Pid): Docker's
 * restart policy ignores `docker kill`, which counts as a manual stop. Three series run in the
 * same minutes, each container hit once per period (11.5 s, so every run lasted > 10 s: Docker is
 * back at its first step, 100 ms, and deckhand restarts at once from the die event), staggered by a third of a period so that no
 * two recoveries overlap:
 *   - deckhand: container `k` of a `deckhand up` (sleeper image), kill -9;
 *   - Docker: a `docker run -d --restart always` sleeper with the same create options, kill -9;
 *   - deckhand: container `r` of the same agent, `docker rm -f` (Docker's policy cannot do this).
 *
 * "Running again" is the engine's `start` event for that container name (its timeNano, on the
 * same clock as the bench), measured from just before the kill or the remove call; each sample
 * is then confirmed with `docker inspect`: State.Running and a StartedAt that changed.
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { images } from '../test/support/images.js'
import { EventWatch, createBody, docker, engineSignal, engineTimeMs, nowEpochMs, removeBenchContainers } from './lib/docker.js'
import { Child, sleep } from './lib/proc.js'
import { ms, summarize, verdict, type Summary } from './lib/stats.js'
import { heading, table } from './lib/table.js'

/** deckhand against Docker's restart policy after kill -9 (issue 12): p50 at most 0.75x, p95 at most 1.0x. */
export const RESPAWN_GOAL = { p50: 0.75, p95: 1.0 } as const

export interface RespawnSample {
  /** start event time minus the time just before the kill (or remove). */
  readonly eventMs: number
  /** kill -9 only: the engine's `die` event, from the same instant (how long Docker takes to notice). */
  readonly dieMs?: number
  /** When the bench read that event. */
  readonly receivedMs: number
  /** inspect's StartedAt minus the same time. */
  readonly startedAtMs: number
  /** For rm -f: how long the remove call itself took. */
  readonly removeCallMs?: number
}

export interface RespawnResult {
  readonly kills: number
  readonly periodMs: number
  readonly deckhandKill: RespawnSample[]
  readonly dockerKill: RespawnSample[]
  readonly deckhandRemove: RespawnSample[]
  readonly failures: string[]
  /** 1-minute load average after each round. */
  readonly loads: number[]
  readonly goals: { readonly percentile: 'p50' | 'p95'; readonly deckhand: number; readonly docker: number; readonly ratio: number; readonly pass: boolean }[]
}

const SERVICE = 'bench-respawn'
const DECKHAND_KILL = `${SERVICE}-k-local`
const DECKHAND_REMOVE = `${SERVICE}-r-local`
const DOCKER_KILL = 'bench-respawn-docker'

/**
 * Waits until inspect shows the container running (polled every 5 ms), and with a StartedAt other
 * than `before` when one is given: running again after a crash or a removal.
 */
async function running(name: string, before?: string): Promise<{ id: string; pid: number; startedAt: string }> {
  const deadline = performance.now() + 30_000
  for (;;) {
    const info = await docker
      .getContainer(name)
      .inspect({ abortSignal: engineSignal() })
      .catch(() => undefined)
    if (info?.State.Running && info.State.Pid > 0 && info.State.StartedAt !== before) return { id: info.Id, pid: info.State.Pid, startedAt: info.State.StartedAt }
    if (performance.now() > deadline) throw new Error(`${name} is not running${before === undefined ? '' : ' again'} after 30 s`)
    await sleep(5)
  }
}

async function crash(watch: EventWatch, name: string): Promise<RespawnSample> {
  const before = await running(name)
  const started = watch.next(`start of ${name}`, (e) => e.action === 'start' && e.name === name)
  const died = watch.next(`die of ${name}`, (e) => e.action === 'die' && e.name === name)
  const at = nowEpochMs()
  process.kill(before.pid, 'SIGKILL')
  const [event, death] = await Promise.all([started, died])
  const after = await running(name, before.startedAt)
  if (after.id !== before.id) throw new Error(`${name} came back as another container after kill -9`)
  return { eventMs: event.timeMs - at, dieMs: death.timeMs - at, receivedMs: event.receivedMs - at, startedAtMs: engineTimeMs(after.startedAt) - at }
}

async function remove(watch: EventWatch, name: string): Promise<RespawnSample> {
  const before = await running(name)
  const started = watch.next(`start of a new ${name}`, (e) => e.action === 'start' && e.name === name)
  const at = nowEpochMs()
  await docker.getContainer(name).remove({ force: true, abortSignal: engineSignal() })
  const removed = nowEpochMs()
  const event = await started
  const after = await running(name, before.startedAt)
  if (after.id === before.id) throw new Error(`${name} was not recreated after rm -f`)
  return { eventMs: event.timeMs - at, receivedMs: event.receivedMs - at, startedAtMs: engineTimeMs(after.startedAt) - at, removeCallMs: removed - at }
}

export async function respawnBench(options: { dir: string; root: string; kills: number; periodMs: number; log: (line: string) => void }): Promise<RespawnResult> {
  const file = join(options.dir, `${SERVICE}.yaml`)
  const sleeper = (name: string) =>
    [`  ${name}:`, `    image: ${images.sleeper}`, '    stopTimeout: 2s', '    restart: { crashLoop: { restarts: 1000, within: 10m } }'].join('\n')
  await writeFile(file, `containers:\n${sleeper('k')}\n${sleeper('r')}\n`)
  const agent = new Child(process.execPath, ['dist/main.js', 'up', '-f', file, '--version', '1', '--service', SERVICE, '--log-format', 'json'], {
    cwd: options.root,
    env: { DECKHAND_STATE_DIR: join(options.dir, `state-${SERVICE}`), DECKHAND_LOG_LEVEL: 'info' },
  })
  const watch = await EventWatch.open({ event: ['start', 'die'], container: [DECKHAND_KILL, DECKHAND_REMOVE, DOCKER_KILL] })
  const result: RespawnResult = { kills: options.kills, periodMs: options.periodMs, deckhandKill: [], dockerKill: [], deckhandRemove: [], failures: [], loads: [], goals: [] }
  try {
    const { name, body } = createBody({
      name: DOCKER_KILL,
      image: images.sleeper,
      env: {},
      labels: { 'deckhand.instance': 'bench', 'deckhand.service': DOCKER_KILL, 'deckhand.revision': 'restart-always', 'deckhand.container': 'k' },
      restart: 'always',
    })
    const plain = await docker.createContainer({ _query: { name }, _body: { ...body, StopTimeout: 2 } } as never)
    await plain.start()
    await agent.waitFor('instance ready', (l) => l.msg === 'instance ready', 60_000)

    const series: [string, RespawnSample[], () => Promise<RespawnSample>][] = [
      ['deckhand kill -9', result.deckhandKill, () => crash(watch, DECKHAND_KILL)],
      ['docker restart=always kill -9', result.dockerKill, () => crash(watch, DOCKER_KILL)],
      ['deckhand rm -f', result.deckhandRemove, () => remove(watch, DECKHAND_REMOVE)],
    ]
    const t0 = performance.now() + 500
    for (let i = 0; i < options.kills; i++) {
      const parts: string[] = []
      for (const [s, [label, samples, act]] of series.entries()) {
        const due = t0 + i * options.periodMs + (s * options.periodMs) / series.length
        await sleep(due - performance.now())
        try {
          const sample = await act()
          samples.push(sample)
          parts.push(`${label} ${ms(sample.eventMs)}`)
        } catch (error) {
          result.failures.push(`${label} #${i + 1}: ${(error as Error).message}`)
          parts.push(`${label} FAILED`)
        }
      }
      const load = loadavg()[0] ?? Number.NaN
      result.loads.push(load)
      options.log(`respawn: round ${i + 1}/${options.kills}: ${parts.join(', ')} (load ${load.toFixed(1)})`)
    }
  } finally {
    watch.close()
    await agent.stop('SIGKILL', 0)
    await removeBenchContainers(SERVICE)
  }
  const deckhand = summarize(result.deckhandKill.map((s) => s.eventMs))
  const dockerSummary = summarize(result.dockerKill.map((s) => s.eventMs))
  for (const percentile of ['p50', 'p95'] as const) {
    const ratio = deckhand[percentile] / dockerSummary[percentile]
    result.goals.push({ percentile, deckhand: deckhand[percentile], docker: dockerSummary[percentile], ratio, pass: ratio <= RESPAWN_GOAL[percentile] })
  }
  return result
}

function row(label: string, samples: readonly RespawnSample[], pick: (s: RespawnSample) => number): string[] {
  const s: Summary = summarize(samples.map(pick))
  return [label, String(s.n), ms(s.p50), ms(s.p95), ms(s.min), ms(s.max)]
}

export function printRespawn(result: RespawnResult): string {
  const out = [heading(`RESPAWN: crash to running again (${result.kills} kills each, ${result.periodMs / 1000} s apart)`)]
  out.push(
    table(
      ['series (start event, from just before the kill)', 'n', 'p50', 'p95', 'min', 'max'],
      [
        row('deckhand, kill -9 of the main process', result.deckhandKill, (s) => s.eventMs),
        row('docker --restart always, kill -9', result.dockerKill, (s) => s.eventMs),
        row('deckhand, docker rm -f', result.deckhandRemove, (s) => s.eventMs),
        ['docker --restart always, docker rm -f', '-', 'n/a', 'n/a', 'n/a', 'n/a'],
      ],
    ),
  )
  out.push('', 'Split and cross-checks (same samples): kill to the engine\'s die event, die to start, when the bench read the start event, inspect\'s StartedAt')
  out.push(
    table(
      ['series', 'kill->die p50', 'die->start p50', 'die->start p95', 'event read p50', 'event read p95', 'StartedAt p50', 'StartedAt p95'],
      [
        ['deckhand kill -9', result.deckhandKill],
        ['docker kill -9', result.dockerKill],
        ['deckhand rm -f', result.deckhandRemove],
      ].map(([label, samples]) => {
        const list = samples as RespawnSample[]
        const read = summarize(list.map((s) => s.receivedMs))
        const started = summarize(list.map((s) => s.startedAtMs))
        const withDie = list.filter((s) => s.dieMs !== undefined)
        const die = summarize(withDie.map((s) => s.dieMs as number))
        const gap = summarize(withDie.map((s) => s.eventMs - (s.dieMs as number)))
        const some = withDie.length > 0
        return [label as string, some ? ms(die.p50) : 'n/a', some ? ms(gap.p50) : 'n/a', some ? ms(gap.p95) : 'n/a', ms(read.p50), ms(read.p95), ms(started.p50), ms(started.p95)]
      }),
    ),
  )
  out.push(`1-minute load average after each round: ${Math.min(...result.loads).toFixed(1)} to ${Math.max(...result.loads).toFixed(1)}`)
  const removeCall = summarize(result.deckhandRemove.map((s) => s.removeCallMs ?? Number.NaN))
  out.push(`(the docker rm -f call itself took p50 ${ms(removeCall.p50)}, p95 ${ms(removeCall.p95)} of the rm -f figures)`)
  out.push('', `Goal: deckhand p50 <= ${RESPAWN_GOAL.p50}x and p95 <= ${RESPAWN_GOAL.p95}x Docker's restart-policy latency after kill -9`)
  out.push(
    table(
      ['percentile', 'deckhand', 'docker restart policy', 'ratio', 'goal', 'verdict'],
      result.goals.map((g) => [g.percentile, ms(g.deckhand), ms(g.docker), `${g.ratio.toFixed(2)}x`, `<= ${RESPAWN_GOAL[g.percentile]}x`, verdict(g.pass)]),
    ),
  )
  for (const failure of result.failures) out.push(`FAILED SAMPLE: ${failure}`)
  return out.join('\n')
}
