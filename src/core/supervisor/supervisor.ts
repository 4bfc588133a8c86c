/**
 * The supervisor keeps one instance's fixed set of containers running, healthy and in order.
 *
 * Design. The desired state is fixed at boot and never changes; the known state is re-read
 * from the engine on every pass (one `list` of this instance's containers), so nothing the
 * supervisor believes can drift far from the truth. Docker events are only hints: each one
 * triggers a pass, a jittered periodic pass runs anyway, and the event stream is reopened
 * whenever it closes (a daemon restart closes it). Probe results, timers and events all reach
 * the containers' records through one serial loop, the only writer of those records, so no two
 * passes ever race. Each pass asks the pure `decide()` what to do for every container, in start
 * order, and carries those decisions out concurrently: they are independent by construction,
 * because a container whose dependencies are not healthy gets no start decision.
 *
 * Restarts follow Docker's own backoff (restart-policy.ts) and are counted for crash-loop
 * detection, and so are creates and starts that fail: to the loop they are runs that ended at
 * once. A container that is running but unhealthy is restarted too, which Docker never does;
 * while its graceful stop runs, it is left alone. An agent that restarts adopts what it finds: containers of its revision that run are
 * kept (their health is probed again, nothing healthy is touched); its own containers of another
 * revision are stopped and removed. Containers without this instance's label are never touched.
 */
import type { ContainerSpec, DesiredState } from '../manifest/index.js'
import { formatDuration, stopLevels } from '../manifest/index.js'
import { DeckhandError, isDeckhandError } from '../errors.js'
import { pause } from '../persist.js'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'
import type { ContainerConfig, ContainerRuntime, ContainerState, RuntimeEvent } from '../../ports/container-runtime.js'
import type { HealthProbe, ProbeTarget } from '../../ports/health-probe.js'
import type { ImageFetcher } from '../../ports/image-fetcher.js'
import type { Logger } from '../../ports/logger.js'
import { NO_METRICS, type Metrics } from '../../ports/metrics.js'
import type { ContainerHealth, InstanceState, StatusReport, StatusStore } from '../../ports/status-store.js'
import { LABELS, ownerLabels, type Identity } from './container-config.js'
import { decide, engineHealth, isRunning, type Decision } from './decide.js'
import { DEFAULT_BACKOFF, isCrashLooping, nextDelay, restartsWithin, type BackoffPolicy } from './restart-policy.js'

export interface SupervisorOptions {
  readonly identity: Identity
  readonly desired: DesiredState
  /** The create call of each container, by container name. */
  readonly configs: ReadonlyMap<string, ContainerConfig>
  readonly runtime: ContainerRuntime
  readonly probe: HealthProbe
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly status?: StatusStore
  readonly metrics?: Metrics
  /** Pulls an image again when a create fails (someone pruned it); without it, creates just retry. */
  readonly images?: ImageFetcher
  readonly backoff?: BackoffPolicy
  /** Full pass at least this often, whatever the events say. Default 10 s. */
  readonly reconcileIntervalMs?: number
  /** Before a container's first healthy answer, http/tcp probes run this often. Default 100 ms. */
  readonly fastProbeMs?: number
}

/** How often http/tcp probes run before a container's first healthy answer (a GET or connect on the host). */
export const DEFAULT_FAST_PROBE_MS = 100

export type StateListener = (state: InstanceState, detail: string | undefined) => void

type Phase = 'pending' | 'running' | 'stopping' | 'exited' | 'stopped'

interface Tracked {
  readonly spec: ContainerSpec
  readonly config: ContainerConfig
  id?: string | undefined
  phase: Phase
  /** Increments on each start, so late probe results of an earlier run are ignored. */
  run: number
  runStartedAt?: number | undefined
  ipAddress?: string | undefined
  health: ContainerHealth
  probeFailures: number
  /** A probe answered healthy in this run: Docker ends the start period at the first success. */
  healthyInRun: boolean
  lastCountedFailureAt?: number | undefined
  probeTimer?: Cancellable | undefined
  started: boolean
  restarts: number
  restartTimes: number[]
  delayMs?: number | undefined
  notBefore?: number | undefined
  /** A person must act (a name clash): no more attempts, and the boot fails with this sentence. */
  blocked?: string | undefined
  backoffTimer?: Cancellable | undefined
  detail?: string | undefined
  /** When the last run ended (engine time when known), for the respawn duration. */
  exitedAt?: number | undefined
  /** When the engine last reported an OOM kill in this container: the `die` that follows is one. */
  oomAt?: number | undefined
  /** A create or start of deckhand's own is under way: its events tell nothing new. */
  acting: boolean
}

const PROBED = new Set(['http', 'tcp'])

/** First pause before the event stream is reopened; it doubles while the engine stays away. */
const EVENTS_RETRY_MS = 500

/** An `oom` event this close before a `die` made that exit an OOM kill (the die event does not say). */
const OOM_BEFORE_DIE_MS = 1_000

export class Supervisor {
  private readonly options: SupervisorOptions
  private readonly tracked: Tracked[]
  private readonly byName: Map<string, Tracked>
  private readonly listeners = new Set<StateListener>()
  private readonly log: Logger
  private readonly metrics: Metrics
  private readonly events = new AbortController()
  private chain: Promise<void> = Promise.resolve()
  private passQueued = false
  private closed = false
  private timers: Cancellable[] = []
  private state: InstanceState = 'booting'
  private stateDetail: string | undefined
  private since: number
  private everReady = false
  private failedReason: string | undefined
  /** The boot deadline passed before the set was ever ready: the boot failed, for good. */
  private bootFailed = false
  private engineDown = false
  private lastStatus = ''
  private engineRetry: Cancellable | undefined

  constructor(options: SupervisorOptions) {
    this.options = options
    this.log = options.logger.child({ revision: options.desired.revision })
    this.metrics = options.metrics ?? NO_METRICS
    this.since = options.clock.now()
    this.tracked = options.desired.containers.map((spec) => {
      const config = options.configs.get(spec.name)
      if (!config) throw new Error(`no container config for ${spec.name}`)
      return { spec, config, phase: 'pending', run: 0, health: 'unknown', probeFailures: 0, healthyInRun: false, started: false, restarts: 0, restartTimes: [], acting: false }
    })
    this.byName = new Map(this.tracked.map((t) => [t.spec.name, t]))
  }

  /** Adopts what this instance already runs, then starts supervising. */
  async start(): Promise<void> {
    await this.restoreCounts()
    this.timers.push(this.options.scheduler.every(this.options.reconcileIntervalMs ?? 10_000, () => this.kick(), { jitter: 0.1 }))
    void this.watchEvents()
    this.kick()
    await this.idle()
  }

  onStateChange(listener: StateListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get instanceState(): InstanceState {
    return this.state
  }

  /** Resolves once every queued pass, probe result and action has been applied. */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined
    while (seen !== this.chain) {
      seen = this.chain
      await seen
    }
  }

  /** Marks the boot failed (the caller's deadline passed); supervision goes on. */
  fail(reason: string): void {
    this.serial(async () => {
      this.failedReason = reason
      if (!this.everReady) this.bootFailed = true
      this.updateState()
    })
  }

  /** Why the set is not healthy yet, naming each container that is not, or undefined. */
  unhealthyReport(): string | undefined {
    const parts = this.tracked.filter((t) => t.health !== 'healthy').map((t) => `${t.spec.name} ${t.detail ?? t.health}`)
    return parts.length === 0 ? undefined : parts.join('; ')
  }

  snapshot(): StatusReport {
    const { identity, desired } = this.options
    return {
      pid: process.pid,
      instanceId: identity.instanceId,
      service: identity.service,
      revision: desired.revision,
      state: this.state,
      since: this.since,
      updatedAt: this.options.clock.now(),
      ...(this.stateDetail === undefined ? {} : { detail: this.stateDetail }),
      containers: this.tracked.map((t) => ({
        name: t.spec.name,
        image: t.spec.image,
        ...(t.id === undefined ? {} : { id: t.id }),
        phase: t.phase,
        health: t.health,
        restarts: t.restarts,
        ...(t.runStartedAt === undefined || t.phase !== 'running' ? {} : { startedAt: t.runStartedAt }),
        ...(t.detail === undefined ? {} : { detail: t.detail }),
      })),
    }
  }

  /**
   * Stops supervising, then stops every container in reverse start order, each within its
   * stopTimeout. Containers are stopped, not removed: their logs stay for `docker logs`.
   */
  async drain(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.events.abort()
    for (const timer of this.timers) timer.cancel()
    this.engineRetry?.cancel()
    for (const t of this.tracked) this.cancelTimers(t)
    await this.idle()
    this.setState('draining', undefined)
    await this.writeStatus()
    // Level by level: everything that depends on a container has stopped before it stops, and
    // the containers of one level stop together, so a drain takes the longest stop timeout of
    // each level rather than the sum of all (a spot notice leaves two minutes).
    const levels = stopLevels(this.tracked.map((t) => ({ name: t.spec.name, dependsOn: t.spec.dependsOn, t })))
    for (const level of levels) {
      await Promise.all(
        level.map(async ({ t }) => {
          if (t.id === undefined) return
          this.log.info({ container: t.spec.name, stopTimeout: formatDuration(t.spec.stopTimeoutMs) }, 'stopping container')
          t.phase = 'stopping'
          try {
            await this.options.runtime.stop(t.id, t.spec.stopTimeoutMs)
          } catch (error) {
            this.log.warn({ container: t.spec.name, reason: message(error) }, 'could not stop container')
          }
          t.phase = 'stopped'
          t.health = 'unknown'
        }),
      )
    }
    this.setState('stopped', undefined)
    await this.writeStatus()
  }

  private kick(): void {
    if (this.closed || this.passQueued) return
    this.passQueued = true
    this.serial(async () => {
      this.passQueued = false
      if (!this.closed) await this.pass()
    })
  }

  private serial(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.log.error({ reason: message(error) }, 'supervisor step failed')
    })
  }

  private async pass(): Promise<void> {
    let observed: ContainerState[]
    try {
      observed = await this.options.runtime.list(ownerLabels(this.options.identity))
    } catch (error) {
      this.engineUnreachable(error)
      return
    }
    if (this.engineDown) {
      this.engineDown = false
      this.log.info({}, 'Docker engine reachable again; reconciling')
    }
    const mine = new Map<string, ContainerState>()
    const stale: ContainerState[] = []
    for (const state of observed) {
      const name = state.labels[LABELS.container]
      const tracked = name === undefined ? undefined : this.byName.get(name)
      if (tracked && state.labels[LABELS.revision] === this.options.desired.revision && state.name === tracked.config.name) mine.set(tracked.spec.name, state)
      else stale.push(state)
    }
    // One at a time: Debian's dockerd 20.10.24 can deadlock in libnetwork when many
    // host-network containers are removed at once (moby/moby#46661), and stale ones are rare.
    for (const state of stale) await this.removeStale(state)

    const now = this.options.clock.now()
    for (const t of this.tracked) this.observe(t, mine.get(t.spec.name), now)
    const decisions = this.tracked.map((t) => [t, this.decideFor(t, mine.get(t.spec.name), now)] as const)
    await Promise.all(decisions.map(([t, d]) => this.carryOut(t, d, now)))
    this.updateState()
    await this.writeStatus()
  }

  private decideFor(t: Tracked, observed: ContainerState | undefined, now: number): Decision {
    if (t.blocked !== undefined || t.phase === 'stopping') return { kind: 'none' }
    const unhealthyDependencies = t.spec.dependsOn.filter((name) => this.byName.get(name)?.health !== 'healthy')
    const decision = decide({ observed, health: t.health, unhealthyDependencies, notBefore: t.notBefore, now })
    if (decision.kind === 'wait-dependencies') t.detail = `waiting for ${decision.on.join(', ')} to be healthy`
    return decision
  }

  /** Folds what the engine says into the record: adoption, exits, removals, engine health. */
  private observe(t: Tracked, observed: ContainerState | undefined, now: number): void {
    const running = observed !== undefined && isRunning(observed)
    if (running) {
      // Its graceful stop is under way (Docker says `kill` at once, and the process may take
      // stopTimeout to exit): not a new run, and not a reason to send another SIGTERM.
      if (t.phase === 'stopping' && t.id === observed.id) return
      if (t.phase !== 'running' || t.id !== observed.id) {
        const adopted = t.phase === 'pending' && !t.started
        t.id = observed.id
        t.phase = 'running'
        t.started = true
        t.runStartedAt = observed.startedAt ?? now
        t.run += 1
        t.probeFailures = 0
        t.healthyInRun = false
        t.health = 'starting'
        if (adopted) this.log.info({ container: t.spec.name, id: observed.id }, 'adopted running container')
        this.scheduleProbe(t, 0)
      }
      if (observed.ipAddress !== undefined) t.ipAddress = observed.ipAddress
      if (!t.spec.health || !PROBED.has(t.spec.health.check.kind)) {
        const health = engineHealth(observed)
        if (health !== t.health) this.healthChanged(t, health, observed.engineHealth === 'unhealthy' ? `health check failed ${observed.failingStreak} times` : undefined)
      }
      return
    }
    if (observed) t.id = observed.id
    if (t.phase === 'running' || t.phase === 'stopping') {
      const runMs = runLength(t.runStartedAt, observed, now)
      const reason = t.phase === 'stopping' ? 'restarted because unhealthy' : !observed ? 'removed' : observed.oomKilled ? 'killed: out of memory' : `exited with code ${observed.exitCode ?? 'unknown'}`
      t.exitedAt = Math.min(observed?.finishedAt ?? now, now)
      this.metrics.containerExited(t.spec.name, { exitCode: observed?.exitCode, oomKilled: observed?.oomKilled ?? false })
      this.failed(t, reason, runMs, now)
    } else if (t.phase === 'pending' && observed && t.started === false && observed.finishedAt !== undefined) {
      // Found stopped at adoption: it died while no agent watched. Restart it as a failure.
      t.started = true
      this.failed(t, `found ${observed.status} at adoption`, undefined, now)
    }
  }

  private failed(t: Tracked, reason: string, runMs: number | undefined, now: number): void {
    this.cancelTimers(t)
    t.phase = 'exited'
    t.health = 'unknown'
    t.delayMs = nextDelay(t.delayMs, runMs, this.options.backoff ?? DEFAULT_BACKOFF)
    t.notBefore = now + t.delayMs
    t.detail = reason
    if (t.delayMs === 0) {
      // The first crash after a long run: the decision that follows in this same step starts it.
      this.log.warn({ container: t.spec.name, image: t.spec.image, reason }, 'container down; restarting now')
      return
    }
    this.log.warn({ container: t.spec.name, image: t.spec.image, reason, backoff: formatDuration(t.delayMs) }, 'container down; restarting after backoff')
    t.backoffTimer = this.options.scheduler.after(t.delayMs, () => this.kick())
  }

  private async carryOut(t: Tracked, decision: Decision, now: number): Promise<void> {
    switch (decision.kind) {
      case 'none':
      case 'wait-dependencies':
      case 'wait-backoff':
        return
      case 'restart-unhealthy':
        this.stopUnhealthy(t, decision.id)
        return
    }
    // An attempt to (re)start. Every attempt after the first is a restart, counted whether it
    // then succeeds or not: a create or start that keeps failing (a port in use, a bad bind)
    // backs off and ends in a crash loop, like a container that keeps exiting.
    if (t.started) {
      t.restarts += 1
      t.restartTimes = [...restartsWithin(t.restartTimes, now, t.spec.crashLoop.withinMs), now]
    }
    t.started = true
    t.notBefore = undefined
    t.acting = true
    try {
      // Docker never starts a dead container again; a new one can be.
      if (decision.kind === 'recreate') await this.options.runtime.remove(decision.id)
      const id = decision.kind === 'start' ? decision.id : await this.create(t)
      await this.startContainer(t, id, now)
    } catch (error) {
      if (isDeckhandError(error, 'NAME_CLASH')) {
        t.blocked = error.message
        t.detail = error.message
        this.failedReason = error.message
        this.log.error({ container: t.spec.name, reason: error.message }, 'cannot create container')
        return
      }
      t.detail = message(error)
      this.log.error({ container: t.spec.name, image: t.spec.image, reason: t.detail }, 'container action failed; will retry')
      if (decision.kind !== 'start' && this.options.images) {
        // Not awaited: a pull can take minutes and the loop must not wait on it; the backoff
        // below gives it time, and the next attempt finds the image or pulls again.
        void this.options.images.ensure([t.spec.image]).catch((pull: unknown) => this.log.warn({ image: t.spec.image, reason: message(pull) }, 'could not pull the image again'))
      }
      this.failed(t, t.detail, undefined, this.options.clock.now())
    } finally {
      t.acting = false
    }
  }

  /** Not awaited: a graceful stop may take stopTimeout, and the loop must not wait on it. */
  private stopUnhealthy(t: Tracked, id: string): void {
    this.log.warn({ container: t.spec.name, reason: t.detail ?? 'unhealthy' }, 'restarting unhealthy container')
    t.phase = 'stopping'
    this.cancelTimers(t)
    void this.options.runtime.stop(id, t.spec.stopTimeoutMs).then(
      () => this.kick(),
      (error: unknown) => {
        this.log.warn({ container: t.spec.name, reason: message(error) }, 'could not stop unhealthy container; will try again')
        // Still running and unhealthy: the next pass (the periodic one at the latest) stops it
        // again. Not at once, so an engine that keeps refusing is not asked in a tight loop.
        this.serial(async () => {
          if (t.phase === 'stopping' && t.id === id) t.phase = 'running'
        })
      },
    )
  }

  private async create(t: Tracked): Promise<string> {
    const { runtime } = this.options
    try {
      return await runtime.create(t.config)
    } catch (error) {
      if (!isDeckhandError(error, 'NAME_CLASH')) throw error
      const existing = await runtime.inspect(t.config.name)
      if (existing && Object.entries(ownerLabels(this.options.identity)).every(([k, v]) => existing.labels[k] === v)) {
        // Ours, of another revision or half-made: it was seen after the list. Replace it.
        await this.removeStale(existing)
        return runtime.create(t.config)
      }
      throw new DeckhandError(
        'NAME_CLASH',
        `A container named ${t.config.name} already exists and deckhand does not own it; rename or remove it yourself (deckhand never touches containers it did not create).`,
      )
    }
  }

  private async startContainer(t: Tracked, id: string, now: number): Promise<void> {
    t.id = id
    await this.options.runtime.start(id)
    if (t.exitedAt !== undefined) this.metrics.respawned(t.spec.name, Math.max(0, this.options.clock.now() - t.exitedAt))
    t.exitedAt = undefined
    t.oomAt = undefined
    t.phase = 'running'
    t.runStartedAt = now
    t.run += 1
    t.probeFailures = 0
    t.healthyInRun = false
    t.lastCountedFailureAt = undefined
    t.health = 'starting'
    t.detail = undefined
    this.log.info({ container: t.spec.name, image: t.spec.image, id, restarts: t.restarts }, t.restarts === 0 ? 'container started' : 'container restarted')
    this.scheduleProbe(t, 0)
    // A pass to see the new run, only when one tells something: the address a bridged tcp check
    // needs, or the health of a container deckhand does not probe. Twenty http-checked containers
    // starting at once would otherwise queue list and inspect passes ahead of their probe results.
    if (!this.probeTarget(t)) this.kick()
  }

  private scheduleProbe(t: Tracked, delayMs: number): void {
    const check = t.spec.health?.check
    if (!check || check.kind === 'cmd') return
    t.probeTimer?.cancel()
    const run = t.run
    t.probeTimer = this.options.scheduler.after(delayMs, () => void this.runProbe(t, run))
  }

  private async runProbe(t: Tracked, run: number): Promise<void> {
    const health = t.spec.health
    if (!health || this.closed || t.run !== run || t.phase !== 'running') return
    const target = this.probeTarget(t)
    const result = target
      ? await this.options.probe.probe(target, health.timeoutMs).catch((error: unknown) => ({ healthy: false, detail: message(error) }))
      : { healthy: false, detail: 'no address to probe yet' }
    this.serial(async () => {
      if (this.closed || t.run !== run || t.phase !== 'running') return
      const now = this.options.clock.now()
      const started = t.runStartedAt ?? now
      const before = t.health
      if (result.healthy) {
        t.probeFailures = 0
        t.healthyInRun = true
        if (t.health !== 'healthy') this.healthChanged(t, 'healthy', undefined)
      } else if ((t.healthyInRun || now - started >= health.startPeriodMs) && now - (t.lastCountedFailureAt ?? started) >= health.intervalMs) {
        // The start period ends at the first healthy answer, as Docker's does.
        // Failures count at most once per interval, so fast probing before the first healthy
        // answer cannot make a slow starter unhealthy sooner than Docker would.
        t.probeFailures += 1
        t.lastCountedFailureAt = now
        t.detail = `health check failed ${t.probeFailures} of ${health.retries} times: ${result.detail ?? 'unhealthy'}`
        if (t.probeFailures >= health.retries && t.health !== 'unhealthy') this.healthChanged(t, 'unhealthy', t.detail)
      } else if (t.health !== 'healthy') {
        t.detail = `starting: ${result.detail ?? 'not answering yet'}`
      }
      // No pass may follow (see healthChanged): the status says it now.
      if (t.health !== before) await this.writeStatus()
    })
    // Scheduled here, not in the loop: a busy loop (a pass listing the engine) must not slow the
    // probes down. Until the first healthy answer of a run, probe fast, so boots are quick.
    const fast = !result.healthy && t.health !== 'healthy' && t.health !== 'unhealthy'
    this.scheduleProbe(t, fast ? Math.min(health.intervalMs, this.options.fastProbeMs ?? DEFAULT_FAST_PROBE_MS) : health.intervalMs)
  }

  private probeTarget(t: Tracked): ProbeTarget | undefined {
    const check = t.spec.health?.check
    if (check?.kind === 'http') return { kind: 'http', url: check.url }
    if (check?.kind !== 'tcp') return undefined
    if (t.spec.network === 'host') return { kind: 'tcp', host: '127.0.0.1', port: check.port }
    return t.ipAddress ? { kind: 'tcp', host: t.ipAddress, port: check.port } : undefined
  }

  private healthChanged(t: Tracked, health: ContainerHealth, detail: string | undefined): void {
    t.health = health
    t.detail = detail
    if (health === 'healthy') {
      this.log.info({ container: t.spec.name, health }, 'container healthy')
    } else if (health === 'unhealthy') {
      this.log.warn({ container: t.spec.name, health, reason: detail }, 'container unhealthy')
    }
    this.updateState()
    // A pass decides what follows: restart an unhealthy container, start the dependents of a healthy one.
    if (health === 'unhealthy' || this.tracked.some((d) => d.spec.dependsOn.includes(t.spec.name))) this.kick()
  }

  private async removeStale(state: ContainerState): Promise<void> {
    const { runtime } = this.options
    this.log.info({ id: state.id, name: state.name, revision: state.labels[LABELS.revision] }, 'removing own container of another revision')
    try {
      if (isRunning(state)) await runtime.stop(state.id, this.staleStopTimeout(state))
      await runtime.remove(state.id)
    } catch (error) {
      this.log.warn({ id: state.id, reason: message(error) }, 'could not remove stale container; will retry')
    }
  }

  /**
   * ContainerState carries no stop timeout, so a stale container gets the one this revision gives
   * the container of the same name (its successor: usually the same program, needing the same
   * grace), and one of a name this revision does not have gets Docker's default of 10 s.
   */
  private staleStopTimeout(state: ContainerState): number {
    const name = state.labels[LABELS.container]
    const successor = (name === undefined ? undefined : this.byName.get(name)) ?? this.tracked.find((t) => t.config.name === state.name)
    return successor?.spec.stopTimeoutMs ?? 10_000
  }

  private updateState(): void {
    if (this.closed) return
    const now = this.options.clock.now()
    const looping = this.tracked.filter((t) => isCrashLooping(t.restartTimes, now, t.spec.crashLoop))
    const allHealthy = this.tracked.every((t) => t.health === 'healthy')
    if (allHealthy) this.everReady = true
    if (this.bootFailed) {
      // Sticky (SPEC §1: a boot that misses its deadline fails). The agent has tagged the
      // instance failed and abandoned its launch; a later healthy set must not make it ready.
      this.setState('failed', this.failedReason)
    } else if (looping.length > 0) {
      const names = looping.map((t) => `${t.spec.name} restarted ${restartsWithin(t.restartTimes, now, t.spec.crashLoop.withinMs).length} times within ${formatDuration(t.spec.crashLoop.withinMs)}`)
      this.setState('crash-loop', names.join('; '))
    } else if (this.failedReason !== undefined && (!this.everReady || this.tracked.some((t) => t.blocked !== undefined))) {
      this.setState('failed', this.failedReason)
    } else if (allHealthy) {
      this.setState('ready', undefined)
    } else {
      this.setState(this.everReady ? 'degraded' : 'booting', this.unhealthyReport())
    }
  }

  private setState(state: InstanceState, detail: string | undefined): void {
    if (state === this.state && detail === this.stateDetail) return
    const changed = state !== this.state
    this.state = state
    this.stateDetail = detail
    if (!changed) return
    this.since = this.options.clock.now()
    this.log.info({ state, ...(detail === undefined ? {} : { reason: detail }) }, `instance ${state}`)
    for (const listener of this.listeners) listener(state, detail)
  }

  private async writeStatus(): Promise<void> {
    const { status } = this.options
    const report = this.snapshot()
    const key = JSON.stringify({ ...report, updatedAt: 0 })
    if (key === this.lastStatus) return
    this.lastStatus = key
    this.metrics.status(report)
    if (!status) return
    try {
      await status.write(report)
    } catch (error) {
      this.log.warn({ reason: message(error) }, 'could not write the status file')
    }
  }

  /** Restart counts survive an agent restart when the revision is the same. */
  private async restoreCounts(): Promise<void> {
    const previous = await this.options.status?.read().catch(() => undefined)
    if (!previous || previous.revision !== this.options.desired.revision || previous.instanceId !== this.options.identity.instanceId) return
    for (const c of previous.containers) {
      const t = this.byName.get(c.name)
      if (t) t.restarts = c.restarts
    }
  }

  private async watchEvents(): Promise<void> {
    const { runtime } = this.options
    let delayMs = EVENTS_RETRY_MS
    let reopening = false
    while (!this.closed) {
      try {
        if (reopening) {
          // The port says nothing when a stream opens (Docker's first step waits for an event),
          // so an answered ping stands for it: the engine is back and the stream opens next.
          // Start the delay afresh for the next outage, and reconcile now: containers that
          // exited while the stream was closed sent no event anyone heard.
          await runtime.ping(this.events.signal)
          delayMs = EVENTS_RETRY_MS
          this.kick()
        }
        for await (const event of runtime.events(ownerLabels(this.options.identity), this.events.signal)) {
          delayMs = EVENTS_RETRY_MS
          this.log.debug({ id: event.containerId, action: event.action }, 'docker event')
          if (event.action === 'die' || event.action === 'oom') this.exitSeen(event)
          else if (!this.ownAction(event)) this.kick()
        }
      } catch (error) {
        if (this.closed) return
        this.log.debug({ reason: message(error) }, 'docker event stream failed')
      }
      if (this.closed) return
      // The stream closed: the daemon restarted or the connection broke. Reconcile now, and
      // reopen the stream after a pause that grows while the engine stays away.
      reopening = true
      this.kick()
      await pause(this.options.scheduler, delayMs, this.events.signal).catch(() => undefined)
      delayMs = Math.min(delayMs * 2, 30_000)
    }
  }

  /**
   * A container's main process ended: handled straight from the event, with no list and
   * inspect pass first, so that a container that ran long enough to reset its backoff is
   * started again at once (Docker's own restart waits 100 ms). The event says the exit code and
   * the time; an `oom` event just before says it was an OOM kill. An event of an earlier run (a
   * pass already restarted the container, under the same id) is older than the run and ignored;
   * anything the event cannot settle is left to a pass.
   */
  private exitSeen(event: RuntimeEvent): void {
    this.serial(async () => {
      if (this.closed) return
      const t = this.tracked.find((c) => c.id === event.containerId)
      const now = this.options.clock.now()
      const at = event.at ?? now
      if (event.action === 'oom') {
        if (t) t.oomAt = at
        return
      }
      if (!t || t.phase !== 'running' || event.at === undefined || t.runStartedAt === undefined || event.at < t.runStartedAt) {
        this.kick()
        return
      }
      const oomKilled = t.oomAt !== undefined && at - t.oomAt <= OOM_BEFORE_DIE_MS
      const exited: ContainerState = {
        id: event.containerId,
        name: t.config.name,
        image: t.spec.image,
        labels: t.config.labels,
        status: 'exited',
        engineHealth: 'none',
        failingStreak: 0,
        finishedAt: at,
        oomKilled,
        ...(event.exitCode === undefined ? {} : { exitCode: event.exitCode }),
      }
      this.observe(t, exited, now)
      await this.carryOut(t, this.decideFor(t, exited, now), now)
      this.updateState()
      await this.writeStatus()
    })
  }

  /** The create or start event of deckhand's own call: the supervisor knows already. */
  private ownAction(event: RuntimeEvent): boolean {
    if (event.action !== 'create' && event.action !== 'start') return false
    const t = this.tracked.find((c) => c.id === event.containerId || (c.acting && c.config.name === event.name))
    if (t === undefined) return false
    return t.acting || (t.id === event.containerId && (event.action === 'create' || t.phase === 'running'))
  }

  private engineUnreachable(error: unknown): void {
    if (!this.engineDown) {
      this.engineDown = true
      this.log.warn({ reason: message(error) }, 'cannot list containers; keeping everything as it is and retrying')
    }
    this.engineRetry?.cancel()
    this.engineRetry = this.options.scheduler.after(1_000, () => this.kick())
  }

  private cancelTimers(t: Tracked): void {
    t.probeTimer?.cancel()
    t.backoffTimer?.cancel()
    t.probeTimer = undefined
    t.backoffTimer = undefined
  }
}

/**
 * How long the run that just ended lasted. The engine's own start and finish times when it has
 * them: the run ended when the container exited, not when a pass noticed (maybe seconds later,
 * which would pass a crash loop off as a long run and reset its backoff).
 */
function runLength(runStartedAt: number | undefined, observed: ContainerState | undefined, now: number): number | undefined {
  const finishedAt = observed?.finishedAt
  const startedAt = observed?.startedAt ?? runStartedAt
  if (finishedAt !== undefined && startedAt !== undefined && finishedAt >= startedAt) return finishedAt - startedAt
  return runStartedAt === undefined ? undefined : now - runStartedAt
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
