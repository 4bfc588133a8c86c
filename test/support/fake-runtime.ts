import { DeckhandError } from '../../src/core/errors.js'
import type { Clock } from '../../src/ports/clock.js'
import type { ContainerConfig, ContainerRuntime, ContainerState, EngineHealth, RuntimeEvent } from '../../src/ports/container-runtime.js'

interface FakeContainer {
  id: string
  config: ContainerConfig
  status: ContainerState['status']
  engineHealth: EngineHealth
  failingStreak: number
  startedAt?: number | undefined
  finishedAt?: number | undefined
  exitCode?: number | undefined
  oomKilled: boolean
}

/** How a fake image behaves when started. */
export interface ImageBehaviour {
  /** Exits at once with this code on every start (a crash loop). */
  readonly exitOnStart?: number
  /** Has its own HEALTHCHECK; starts as `starting`. */
  readonly healthcheck?: boolean
  /** Every start fails with this engine message and the container stays `created` (a port in use, a bad bind). */
  readonly failOnStart?: string
}

/**
 * An in-memory container engine behind the same port as Docker, for the supervisor's unit tests.
 * The contract suite (test/contract) runs against it and against the real engine, so the two
 * cannot drift. Test controls (crash, remove, setHealth, down) stand for what happens to real
 * containers from outside.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly images = new Map<string, ImageBehaviour>()
  readonly calls: string[] = []
  /** Every stop call that found its container, with the grace period it was given. */
  readonly stops: { readonly name: string; readonly timeoutMs: number }[] = []
  private readonly containers = new Map<string, FakeContainer>()
  private readonly subscribers = new Set<{ labels: Readonly<Record<string, string>>; push: (e: RuntimeEvent | undefined) => void }>()
  private nextId = 1
  private unreachable = false
  /** While set, stops wait here (a graceful shutdown under way) until releaseStops. */
  private heldStops: ((fail: boolean) => void)[] | undefined
  private readonly clock: Clock

  constructor(clock: Clock = { now: () => Date.now() }) {
    this.clock = clock
  }

  // ---- the port ----

  async ping(): Promise<void> {
    this.check()
  }

  async hasImage(image: string): Promise<boolean> {
    this.check()
    return this.images.has(image)
  }

  async pull(image: string): Promise<void> {
    this.check()
    this.calls.push(`pull ${image}`)
    if (!this.images.has(image)) throw new DeckhandError('IMAGE_NOT_FOUND', `Image ${image} was not found in its registry; check the image name and tag.`)
  }

  async list(labels: Readonly<Record<string, string>>): Promise<ContainerState[]> {
    this.check()
    return [...this.containers.values()].filter((c) => matches(c.config.labels, labels)).map(view)
  }

  async inspect(idOrName: string): Promise<ContainerState | undefined> {
    this.check()
    const found = this.find(idOrName)
    return found && view(found)
  }

  async create(config: ContainerConfig): Promise<string> {
    this.check()
    this.calls.push(`create ${config.name}`)
    if (this.find(config.name)) throw new DeckhandError('NAME_CLASH', `A container named ${config.name} already exists.`)
    if (!this.images.has(config.image)) throw new DeckhandError('CONTAINER_CREATE_FAILED', `Image ${config.image} is not on this host; pull it first.`, { retryable: true })
    const id = `fake${String(this.nextId++).padStart(8, '0')}`
    this.containers.set(id, { id, config, status: 'created', engineHealth: 'none', failingStreak: 0, oomKilled: false })
    this.emit(id, 'create')
    return id
  }

  async start(id: string): Promise<void> {
    this.check()
    const c = this.mustFind(id)
    this.calls.push(`start ${c.config.name}`)
    if (c.status === 'running') return
    if (c.status === 'dead') throw new DeckhandError('CONTAINER_CREATE_FAILED', `Container ${id} failed to start: container is marked for removal and cannot be started.`, { retryable: true })
    const behaviour = this.images.get(c.config.image) ?? {}
    if (behaviour.failOnStart !== undefined) throw new DeckhandError('CONTAINER_CREATE_FAILED', `Container ${id} failed to start: ${behaviour.failOnStart}.`, { retryable: true })
    c.status = 'running'
    c.startedAt = this.clock.now()
    c.finishedAt = undefined
    c.oomKilled = false
    c.engineHealth = behaviour.healthcheck || c.config.healthcheck ? 'starting' : 'none'
    this.emit(id, 'start')
    if (behaviour.exitOnStart !== undefined) this.exit(c, behaviour.exitOnStart)
  }

  async stop(id: string, timeoutMs: number): Promise<void> {
    this.check()
    const c = this.find(id)
    if (!c) return
    this.calls.push(`stop ${c.config.name}`)
    this.stops.push({ name: c.config.name, timeoutMs })
    if (c.status !== 'running') return
    // Docker sends SIGTERM and says `kill` at once; the container exits when its process does.
    this.emit(id, 'kill')
    const held = this.heldStops
    if (held !== undefined) {
      const fail = await new Promise<boolean>((resolve) => held.push(resolve))
      if (fail) throw new DeckhandError('INTERNAL', `Docker could not stop container ${id}: the engine timed out.`, { retryable: true })
    }
    if (c.status === 'running') this.exit(c, 0)
    this.emit(id, 'stop')
  }

  async remove(id: string): Promise<void> {
    this.check()
    const c = this.find(id)
    if (!c) return
    this.calls.push(`remove ${c.config.name}`)
    if (c.status === 'running') this.exit(c, 137)
    this.containers.delete(c.id)
    this.emit(c.id, 'destroy', c.config.labels)
  }

  events(labels: Readonly<Record<string, string>>, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const queue: (RuntimeEvent | undefined)[] = []
    let wake: (() => void) | undefined
    const subscriber = {
      labels,
      push: (e: RuntimeEvent | undefined) => {
        queue.push(e)
        wake?.()
      },
    }
    this.subscribers.add(subscriber)
    signal.addEventListener('abort', () => subscriber.push(undefined), { once: true })
    const subscribers = this.subscribers
    const check = () => this.check()
    return {
      async *[Symbol.asyncIterator]() {
        try {
          // Like Docker's, the stream opens on the first step, and an engine that is away refuses it.
          check()
          for (;;) {
            while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
            const next = queue.shift()
            if (next === undefined) return
            yield next
          }
        } finally {
          subscribers.delete(subscriber)
        }
      },
    }
  }

  // ---- test controls: what happens to containers from outside ----

  /** The main process dies (kill -9, a crash, an OOM). */
  crash(name: string, exitCode = 137, options: { oom?: boolean } = {}): void {
    const c = this.mustFind(name)
    if (c.status !== 'running') return
    c.oomKilled = options.oom ?? false
    if (c.oomKilled) this.emit(c.id, 'oom')
    this.exit(c, exitCode)
  }

  /** `docker rm -f`. */
  forceRemove(name: string): void {
    const c = this.mustFind(name)
    void this.remove(c.id)
  }

  /** The image's HEALTHCHECK (or a `cmd` check) reports. */
  setEngineHealth(name: string, health: EngineHealth, failingStreak = 0): void {
    const c = this.mustFind(name)
    c.engineHealth = health
    c.failingStreak = failingStreak
    this.emit(c.id, `health_status: ${health}`)
  }

  /** The daemon goes away (calls fail and event streams close) or comes back. */
  setDown(down: boolean): void {
    this.unreachable = down
    if (down) {
      for (const c of this.containers.values()) if (c.status === 'running') c.status = 'exited'
      for (const s of this.subscribers) s.push(undefined)
    }
  }

  /** From now on stops hang after their `kill` event, the container still running its graceful shutdown, until releaseStops. */
  holdStops(): void {
    this.heldStops ??= []
  }

  /** Ends every held stop (the container exits, or with `fail` the call fails and it runs on) and stops holding. */
  releaseStops(options: { fail?: boolean } = {}): void {
    const held = this.heldStops ?? []
    this.heldStops = undefined
    for (const resolve of held) resolve(options.fail ?? false)
  }

  /** Docker gave up on it (a failed removal, a storage driver error): `dead`, and it can never start again. */
  markDead(name: string): void {
    const c = this.mustFind(name)
    const wasRunning = c.status === 'running'
    c.status = 'dead'
    if (wasRunning) {
      c.exitCode = 137
      c.finishedAt = this.clock.now()
      this.emit(c.id, 'die')
    }
  }

  /** The event streams open now. */
  openStreams(): number {
    return this.subscribers.size
  }

  /** Adds a container nobody in deckhand created. */
  addForeign(config: ContainerConfig): string {
    const id = `foreign${this.nextId++}`
    this.containers.set(id, { id, config, status: 'running', engineHealth: 'none', failingStreak: 0, oomKilled: false, startedAt: this.clock.now() })
    return id
  }

  byName(name: string): ContainerState | undefined {
    const c = this.find(name)
    return c && view(c)
  }

  all(): ContainerState[] {
    return [...this.containers.values()].map(view)
  }

  /** The environment a container was created with (the RunningEnv port), by name. */
  async env(name: string): Promise<Readonly<Record<string, string>> | undefined> {
    return [...this.containers.values()].find((c) => c.config.name === name)?.config.env
  }

  // ---- internals ----

  private exit(c: FakeContainer, code: number): void {
    c.status = 'exited'
    c.exitCode = code
    c.finishedAt = this.clock.now()
    c.engineHealth = c.engineHealth === 'none' ? 'none' : 'unhealthy'
    this.emit(c.id, 'die')
  }

  private emit(id: string, action: string, labels?: Readonly<Record<string, string>>): void {
    const c = this.containers.get(id)
    const own = labels ?? c?.config.labels ?? {}
    // As Docker's do: the time, and with a die the exit code.
    const exit = action === 'die' && c?.exitCode !== undefined ? { exitCode: c.exitCode } : {}
    const event = { containerId: id, action, at: this.clock.now(), ...(c ? { name: c.config.name } : {}), ...exit }
    for (const s of this.subscribers) if (matches(own, s.labels)) s.push(event)
  }

  private check(): void {
    if (this.unreachable) throw new DeckhandError('DOCKER_UNREACHABLE', 'Cannot reach the Docker engine; start Docker.', { retryable: true })
  }

  private find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.config.name === idOrName)
  }

  private mustFind(idOrName: string): FakeContainer {
    const c = this.find(idOrName)
    if (!c) throw new Error(`fake runtime: no container ${idOrName}`)
    return c
  }
}

function matches(labels: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v)
}

function view(c: FakeContainer): ContainerState {
  return {
    id: c.id,
    name: c.config.name,
    image: c.config.image,
    labels: c.config.labels,
    status: c.status,
    engineHealth: c.status === 'running' ? c.engineHealth : c.engineHealth === 'none' ? 'none' : 'unhealthy',
    failingStreak: c.failingStreak,
    ...(c.startedAt === undefined ? {} : { startedAt: c.startedAt }),
    ...(c.finishedAt === undefined ? {} : { finishedAt: c.finishedAt }),
    ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
    oomKilled: c.oomKilled,
  }
}
