import { toCreateOptions } from '../../src/adapters/docker/create-options.js'
import { DEFAULT_LOGGING } from '../../src/core/manifest/desired-state.js'
/**
 * What the bench needs of the engine: one dockerode client, an event stream to time starts by,
 * the create body deckhand sends (so the baselines issue the same call), and a cleanup that
 * removes only what the bench made.
 */
import Dockerode from 'dockerode'
import { images } from '../../test/support/images.js'

export const docker = new Dockerode()

/** Every container the bench creates itself carries this label; deckhand's are named bench-*. */
export const BENCH_LABEL = 'deckhand.bench'

/** Ports for the web containers; far from the ones the test suite uses (18xxx). */
export const BOOT_PORT_BASE = 29100
export const FOOTPRINT_PORT_BASE = 29200
export const WHATIF_PORT_BASE = 29300

/**
 * The Engine API body deckhand itself sends for a `web` container (its own create-options
 * translation of a default ContainerConfig), so the raw baseline makes exactly deckhand's call;
 * `restart: 'always'` turns on Docker's policy for the restart-policy baseline.
 */
export function createBody(options: { name: string; image: string; env: Record<string, string>; labels: Record<string, string>; restart?: 'no' | 'always' }): {
  name: string
  body: Record<string, unknown>
} {
  const { name, ...body } = toCreateOptions({
    name: options.name,
    image: options.image,
    labels: { [BENCH_LABEL]: '1', ...options.labels },
    env: options.env,
    network: 'host',
    ports: [],
    binds: [],
    tmpfs: [],
    stopTimeoutMs: 30_000,
    logging: DEFAULT_LOGGING,
    privileged: false,
  })
  return { name, body: { ...body, HostConfig: { ...body.HostConfig, RestartPolicy: { Name: options.restart ?? 'no' } } } }
}

export interface EngineEvent {
  readonly id: string
  readonly action: string
  readonly name: string
  readonly attributes: Record<string, string>
  /** Daemon wall clock, epoch ms with sub-ms precision. */
  readonly timeMs: number
  /** Bench wall clock when the bench read it, epoch ms (performance-based). */
  readonly receivedMs: number
}

/** Wall-clock epoch ms with sub-ms precision, on the monotonic clock (no NTP steps inside a run). */
export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now()
}

interface Waiter {
  readonly match: (event: EngineEvent) => boolean
  readonly resolve: (event: EngineEvent) => void
}

/**
 * Docker's event stream, filtered on the engine side. `next` registers a waiter *before* the
 * caller acts, so no event can slip by between the action and the wait.
 */
export class EventWatch {
  private readonly waiters = new Set<Waiter>()
  private readonly listeners = new Set<(event: EngineEvent) => void>()
  private constructor(private readonly stream: NodeJS.ReadableStream & { destroy?: () => void }) {
    let buffer = ''
    stream.on('data', (chunk: Buffer | string) => {
      const receivedMs = nowEpochMs()
      buffer += chunk.toString()
      const parts = buffer.split('\n')
      buffer = parts.pop() ?? ''
      for (const part of parts) {
        if (part.trim() === '') continue
        const raw = JSON.parse(part) as { id?: string; Action?: string; status?: string; timeNano?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } }
        const attributes = raw.Actor?.Attributes ?? {}
        const event: EngineEvent = {
          id: raw.Actor?.ID ?? raw.id ?? '',
          action: raw.Action ?? raw.status ?? '',
          name: attributes.name ?? '',
          attributes,
          timeMs: (raw.timeNano ?? 0) / 1e6,
          receivedMs,
        }
        for (const listener of this.listeners) listener(event)
        for (const waiter of [...this.waiters]) {
          if (waiter.match(event)) {
            this.waiters.delete(waiter)
            waiter.resolve(event)
          }
        }
      }
    })
    stream.on('error', () => undefined)
  }

  static async open(filters: Record<string, string[]>): Promise<EventWatch> {
    const stream = (await docker.getEvents({ filters: { type: ['container'], ...filters } })) as NodeJS.ReadableStream & { destroy?: () => void }
    return new EventWatch(stream)
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  next(what: string, match: (event: EngineEvent) => boolean, timeoutMs = 30_000): Promise<EngineEvent> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (event) => {
          clearTimeout(timer)
          resolve(event)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`no Docker event for ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  close(): void {
    this.stream.destroy?.()
  }
}

/** True for anything the bench made: its own label, or a deckhand container of a bench-* service. */
function isBenchContainer(info: Dockerode.ContainerInfo): boolean {
  if (info.Labels[BENCH_LABEL] === '1') return true
  const service = info.Labels['deckhand.service'] ?? ''
  return service.startsWith('bench-') && info.Names.some((n) => n.startsWith('/bench-'))
}

/** Every engine call the bench waits on gives up after this long rather than hanging the run. */
export const ENGINE_TIMEOUT_MS = 30_000

export function engineSignal(): AbortSignal {
  return AbortSignal.timeout(ENGINE_TIMEOUT_MS)
}

/**
 * Removes (force) the bench's containers, optionally only those whose name starts with prefix.
 * One at a time: Docker 20.10.24 (Debian's docker.io) can deadlock its network controller when
 * many host-network containers are torn down at once (moby/libnetwork#2649, fixed in the 20.10
 * branch by moby/libnetwork#2679, after 20.10.24); a bench run hit it with 20 parallel removals.
 */
export async function removeBenchContainers(prefix = 'bench-'): Promise<number> {
  const all = await docker.listContainers({ all: true, abortSignal: engineSignal() } as Dockerode.ContainerListOptions)
  const mine = all.filter((c) => isBenchContainer(c) && c.Names.some((n) => n.startsWith(`/${prefix}`)))
  const stuck: string[] = []
  const name = (c: Dockerode.ContainerInfo) => c.Names[0]?.slice(1) ?? c.Id
  for (const [i, c] of mine.entries()) {
    try {
      await docker.getContainer(c.Id).remove({ force: true, abortSignal: engineSignal() })
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode
      if (status === 404 || status === 409) continue
      if (status === undefined) {
        // No answer at all: the engine is stuck; waiting on the others would only add timeouts.
        stuck.push(...mine.slice(i).map(name))
        break
      }
      stuck.push(`${name(c)} (${(error as Error).message})`)
    }
  }
  if (stuck.length > 0) {
    throw new Error(`the engine did not remove ${stuck.join(', ')}; if \`docker rm -f\` hangs too, dockerd is wedged (see docs/benchmarks.md, "Engine hazard") and only restarting it frees them`)
  }
  return mine.length
}

/** Networks docker-compose may have made for a bench project. */
export async function removeBenchNetworks(): Promise<void> {
  const networks = await docker.listNetworks()
  await Promise.all(
    networks
      .filter((n) => (n.Labels?.['com.docker.compose.project'] ?? '').startsWith('bench'))
      .map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)),
  )
}

/** The test images the bench runs, present locally so that nobody pulls during a measurement. */
export async function ensureImages(): Promise<void> {
  for (const image of [images.web, images.sleeper]) {
    try {
      await docker.getImage(image).inspect()
    } catch {
      const stream = await docker.pull(image)
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())))
    }
  }
}

export async function engineVersion(): Promise<{ server: string; api: string; cgroup: string; storage: string }> {
  const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ CgroupVersion?: string; Driver?: string }>])
  return { server: version.Version, api: version.ApiVersion, cgroup: info.CgroupVersion ?? '?', storage: info.Driver ?? '?' }
}

/** Parses Docker's RFC 3339 time with nanoseconds into epoch ms with sub-ms precision. */
export function engineTimeMs(value: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value)
  if (!match) return Date.parse(value)
  const whole = Date.parse(`${match[1]}${match[3]}`)
  const fraction = match[2] === undefined ? 0 : Number(`0.${match[2]}`) * 1000
  return whole + fraction
}
