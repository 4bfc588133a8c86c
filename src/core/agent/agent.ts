/**
 * `deckhand agent`: SPEC §1 on an EC2 instance of an Auto Scaling Group.
 *
 * Design. The agent composes parts that each have one job:
 *   boot-sequence.ts     identity, group, config and parameters, into a complete BootContext
 *   boot-deadline.ts     rollout.bootDeadline, from the first agent's start, over all of it
 *   lifecycle.ts         the only writer of the instance's tags, hooks and health, reconciled
 *   drift.ts             should this instance be replaced (pure), and the cheap reads it needs
 *   drift-watch.ts       the periodic, budgeted drift check and the rollout gate's question
 *   crash-loop-turns.ts  when a crash-looping instance may go Unhealthy (a dependency outage)
 *   termination-watch.ts is it being terminated (IMDS, then the group)
 *   drain.ts             stopping the host's side of a drain, in time for a spot notice
 * and the supervisor (containers) and the rollout gate. This file only wires them: it turns the
 * supervisor's states, the drift checks, the termination watch and signals into lifecycle
 * transitions, one at a time through one serial chain, so no two of them race.
 *
 * Only three things end an instance's life, each through the group: a boot that fails (launch
 * hook ABANDON, or Unhealthy), a crash loop in its turn (Unhealthy, at most maxUnavailable at a
 * time), and the rollout gate saying "terminate". Every termination, whoever started it, goes
 * through one idempotent drain. A SIGTERM is a termination only when the host is going down or
 * the group is terminating the instance; otherwise the agent alone stops, and the containers keep
 * serving until the next agent adopts them (SPEC §1.10). Uncertainty never terminates anything.
 */
import { boot } from '../boot/boot.js'
import type { RolloutSpec } from '../manifest/index.js'
import { persist } from '../persist.js'
import { formatReadyAt } from '../rollout/group-view.js'
import type { Supervisor } from '../supervisor/supervisor.js'
import type { BootRecord, BootRecordStore } from '../../ports/boot-record.js'
import type { Clock, Scheduler } from '../../ports/clock.js'
import type { GroupInfo } from '../../ports/fleet.js'
import type { HealthProbe } from '../../ports/health-probe.js'
import type { HostShutdown } from '../../ports/host-shutdown.js'
import type { InstanceIdentity, InstanceMetadata } from '../../ports/instance-metadata.js'
import type { Logger } from '../../ports/logger.js'
import type { Metrics } from '../../ports/metrics.js'
import type { RunningEnv } from '../../ports/running-env.js'
import type { StatusStore } from '../../ports/status-store.js'
import type { VolumeProvider } from '../../ports/volumes.js'
import type { HostCapacity } from '../manifest/index.js'
import { BootDeadline } from './boot-deadline.js'
import { BootFailure, runBootSequence, type BootContext, type Connected } from './boot-sequence.js'
import { CrashLoopTurns } from './crash-loop-turns.js'
import { DriftReader } from './drift.js'
import { DriftWatch } from './drift-watch.js'
import { stopEverything } from './drain.js'
import { InstanceLifecycle, type DesiredLifecycle } from './lifecycle.js'
import { TerminationWatch, type TerminationNotice } from './termination-watch.js'

export type { Connected } from './boot-sequence.js'
export { heartbeatEveryMs } from './lifecycle.js'

export interface AgentDependencies {
  readonly metadata: InstanceMetadata
  connect(identity: InstanceIdentity): Promise<Connected> | Connected
  volumes(service: string): VolumeProvider
  readonly probe: HealthProbe
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly status?: StatusStore
  /** What this instance booted with, so a restarted agent runs the same revision. */
  readonly bootRecord: BootRecordStore
  /** Whether a SIGTERM comes with the host going down (then it drains) or alone (then it does not). */
  readonly hostShutdown: HostShutdown
  /** Where a restarted agent finds a `{ ssm }` value SSM no longer has. */
  readonly runningEnv?: RunningEnv
  readonly host: HostCapacity
  readonly random: () => number
  /** The agent's state dir, which no unprivileged container may mount. Default /var/lib/deckhand. */
  readonly stateDir?: string
  /** What the metrics endpoint serves (SPEC §6): the instance's state, gate decisions, and all the supervisor counts. */
  readonly metrics?: Metrics
  /** How often IMDS is asked whether this instance is terminating. Default 5 s (AWS's advice for spot). */
  readonly terminationPollMs?: number
  /** Overrides the terminate hook's heartbeat period (tests); default a third of its timeout. */
  readonly heartbeatMs?: number
  /** Overrides the drift interval (tests); default from the fleet size and the calls a check makes. */
  readonly driftIntervalMs?: number
}

export class Agent {
  readonly #deps: AgentDependencies
  #log: Logger
  /** Aborted when the boot must stop (a drain, or the agent leaving). */
  readonly #stop = new AbortController()
  #lifecycle: InstanceLifecycle | undefined
  #groupName: string | undefined
  #watch: TerminationWatch | undefined
  #ctx: BootContext | undefined
  #record: BootRecord | undefined
  #supervisor: Supervisor | undefined
  #booting: Promise<Supervisor | undefined> | undefined
  #policy: RolloutSpec | undefined
  /** The group's desired capacity as last read, shared with the parts that pace themselves by it. */
  readonly #groupSize = { size: 1 }
  #drift: DriftWatch | undefined
  #turns: CrashLoopTurns | undefined
  #drainPromise: Promise<void> | undefined
  #leaving = false
  /** Supervisor states, handled one at a time in the order they came. */
  #events: Promise<void> = Promise.resolve()
  #finished!: (code: number) => void
  readonly #done = new Promise<number>((resolve) => (this.#finished = resolve))

  constructor(deps: AgentDependencies) {
    this.#deps = deps
    this.#log = deps.logger
  }

  /** Runs until the instance drained or the agent was stopped alone; resolves with the exit code. */
  async run(stopRequested: Promise<string>): Promise<number> {
    const { clock, scheduler } = this.#deps
    const deadline = new BootDeadline({ scheduler, clock, startedAt: clock.now() })
    void stopRequested.then((signal) => this.#onStopSignal(signal))
    let ctx: BootContext | undefined
    try {
      ctx = await runBootSequence(this.#deps, deadline, this.#stop.signal, {
        named: (group) => void (this.#groupName = group),
        identified: (identity, connected, record) => this.#identified(identity, connected, record),
        grouped: (group, info, record) => this.#grouped(group, info, record),
      })
    } catch (error) {
      if (this.#stop.signal.aborted) return this.#done
      if (!(error instanceof BootFailure)) throw error
      deadline.cancel()
      await this.#failBoot(error.message)
      return this.#done
    }
    await this.#start(ctx, deadline)
    return this.#done
  }

  /** The drain under way, if any (tests). */
  get draining(): Promise<void> | undefined {
    return this.#drainPromise
  }

  #identified(identity: InstanceIdentity, connected: Connected, record: BootRecord | undefined): void {
    this.#log = this.#deps.logger.child({ instance: identity.instanceId })
    this.#record = record
    const initial: DesiredLifecycle = record?.drain
      ? { state: 'draining', ...(record.readyAt === undefined ? {} : { readyAt: record.readyAt }) }
      : record?.readyAt !== undefined
        ? { state: 'ready', readyAt: record.readyAt }
        : { state: 'booting' }
    this.#lifecycle = new InstanceLifecycle({
      fleet: connected.fleet,
      instanceId: identity.instanceId,
      scheduler: this.#deps.scheduler,
      logger: this.#log,
      random: this.#deps.random,
      initial,
      secrets: () => [...(this.#ctx?.values.values() ?? [])].map((v) => v.value),
      onChange: (desired) => this.#deps.metrics?.instanceState(desired.state, desired.revision ?? ''),
    })
    this.#watch = new TerminationWatch({
      metadata: this.#deps.metadata,
      fleet: connected.fleet,
      instanceId: identity.instanceId,
      scheduler: this.#deps.scheduler,
      random: this.#deps.random,
      ...(this.#deps.terminationPollMs === undefined ? {} : { everyMs: this.#deps.terminationPollMs }),
      fleetSize: () => this.#groupSize.size,
      askGroup: () => this.#record?.readyAt !== undefined,
      onTermination: (notice) => void this.#drain(notice),
    })
    this.#watch.start()
  }

  #grouped(group: string, info: GroupInfo, record: BootRecord | undefined): void {
    this.#groupName = group
    this.#groupSize.size = Math.max(1, info.desiredCapacity)
    this.#lifecycle?.setHooks({ group, hooks: info.hooks, ...(info.heartbeatTimeouts ? { heartbeatTimeouts: info.heartbeatTimeouts } : {}) })
    // A boot longer than the launch hook's heartbeat timeout must not get its default result.
    if (record?.launchCompleted !== true) this.#lifecycle?.heartbeat('launching')
  }

  async #start(ctx: BootContext, deadline: BootDeadline): Promise<void> {
    const lifecycle = this.#lifecycle
    if (!lifecycle || this.#stop.signal.aborted) return
    this.#ctx = ctx
    this.#record = ctx.record
    this.#policy = ctx.desired.rollout
    this.#log = this.#log.child({ service: ctx.service, revision: ctx.desired.revision })
    lifecycle.setRevision(ctx.desired.revision)
    if (!ctx.restarted) {
      this.#log.info({ group: ctx.group, version: ctx.desired.version, containers: ctx.desired.containers.map((c) => c.name) }, 'booting')
      // Not awaited: a throttled CreateTags must not hold the boot; the ready tags wait for it.
      void lifecycle.write()
    } else if (ctx.record.readyAt !== undefined) {
      this.#log.info({ group: ctx.group, version: ctx.desired.version, readyAt: formatReadyAt(ctx.record.readyAt) }, 'adopting: this instance was ready before the agent restarted')
    }
    if (ctx.record.drain && (await this.#resumedDrain(ctx, ctx.record.drain.reason))) return

    // A ready instance restarted: no boot deadline (nothing it runs may fail for lack of time).
    const remaining = ctx.record.readyAt === undefined ? deadline.remainingMs() : 2 ** 31 - 1
    deadline.cancel()
    try {
      const booting = boot({
        identity: { instanceId: ctx.identity.instanceId, service: ctx.service },
        desired: { ...ctx.desired, rollout: { ...ctx.desired.rollout, bootDeadlineMs: remaining } },
        host: this.#deps.host,
        runtime: ctx.connected.runtime,
        images: ctx.connected.images,
        volumes: this.#deps.volumes(ctx.service),
        parameters: ctx.connected.config,
        parameterValues: ctx.values,
        probe: this.#deps.probe,
        clock: this.#deps.clock,
        scheduler: this.#deps.scheduler,
        logger: this.#log,
        ...(this.#deps.status ? { status: this.#deps.status } : {}),
        ...(this.#deps.metrics ? { metrics: this.#deps.metrics } : {}),
        signal: this.#stop.signal,
      })
      this.#booting = booting.catch(() => undefined)
      this.#supervisor = await booting
    } catch (error) {
      if (this.#stop.signal.aborted) return
      await this.#failBoot(messageOf(error))
      return
    }
    const supervisor = this.#supervisor
    supervisor.onStateChange((state, detail) => this.#enqueue(() => this.#onSupervisorState(state, detail)))
    await this.#enqueue(() => this.#onSupervisorState(supervisor.instanceState, supervisor.snapshot().detail))
    this.#watchDrift(ctx, lifecycle)
  }

  /**
   * A drain an earlier agent began and did not finish: finished when the instance is really
   * leaving (true), else forgotten, and the instance is put back once its containers are healthy.
   */
  async #resumedDrain(ctx: BootContext, reason: string): Promise<boolean> {
    const notice = await persist('whether a termination is under way', () => this.#watch?.underWay(this.#stop.signal) ?? Promise.resolve(null), {
      scheduler: this.#deps.scheduler,
      logger: this.#log,
      random: this.#deps.random,
      signal: this.#stop.signal,
    }).catch(() => undefined)
    if (notice) {
      void this.#drain(notice)
      return true
    }
    this.#log.info({ reason }, 'an earlier agent began a drain, and no termination is under way: putting the instance back once its containers are healthy')
    const { drain: _unfinished, ...rest } = ctx.record
    await this.#saveRecord(rest)
    // Back to booting until the containers are healthy: from there it is ready again with its
    // ready-at, or, if they crash-loop, degraded and in line for a replacement turn.
    await this.#lifecycle?.transition('booting', { restore: true })
    return false
  }

  #watchDrift(ctx: BootContext, lifecycle: InstanceLifecycle): void {
    this.#drift = new DriftWatch({
      ctx,
      lifecycle,
      reader: new DriftReader({
        config: ctx.connected.config,
        fleet: ctx.connected.fleet,
        service: ctx.service,
        group: ctx.group,
        ...(this.#deps.stateDir === undefined ? {} : { stateDir: this.#deps.stateDir }),
        host: this.#deps.host,
        booted: { manifest: ctx.manifest, manifestVersion: ctx.config.manifest.version, ...(ctx.config.release ? { releaseVersion: ctx.config.release.version } : {}) },
      }),
      metadata: this.#deps.metadata,
      clock: this.#deps.clock,
      scheduler: this.#deps.scheduler,
      random: this.#deps.random,
      logger: this.#log,
      ...(this.#deps.driftIntervalMs === undefined ? {} : { intervalMs: this.#deps.driftIntervalMs }),
      fleet: this.#groupSize,
      stopped: () => this.#drainPromise !== undefined || this.#leaving,
      onRollout: (rollout) => void (this.#policy = rollout),
      ...(this.#deps.metrics ? { metrics: this.#deps.metrics } : {}),
      replace: (reason) => this.#replaceByGate(lifecycle, reason),
    })
    this.#drift.start()
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    this.#events = this.#events.then(work).catch((error: unknown) => this.#log.error({ reason: messageOf(error) }, 'lifecycle step failed'))
    return this.#events
  }

  async #onSupervisorState(state: string, detail: string | undefined): Promise<void> {
    const lifecycle = this.#lifecycle
    if (!lifecycle || this.#drainPromise || this.#leaving) return
    if (state === 'ready') await this.#ready(lifecycle)
    else if (state === 'failed') await this.#failBoot(detail ?? 'the boot failed')
    else if (state === 'crash-loop') {
      // Before it was ever ready, a crash loop is a failed boot: the launch hook is abandoned.
      if (this.#record?.readyAt === undefined) await this.#failBoot(`crash loop: ${detail ?? ''}`)
      else await this.#degraded(`crash loop: ${detail ?? ''}`)
    }
  }

  async #ready(lifecycle: InstanceLifecycle): Promise<void> {
    const record = this.#record
    if (!record) return
    if (lifecycle.state === 'booting') {
      // A first ready writes the record first, synced: a restarted agent must know this instance
      // served. An instance put back after a drain keeps the ready-at it had.
      const readyAt = record.readyAt ?? this.#deps.clock.now()
      if (record.readyAt === undefined) {
        try {
          await this.#deps.bootRecord.write({ ...record, readyAt })
          this.#record = { ...record, readyAt }
        } catch (error) {
          await this.#failBoot(messageOf(error))
          return
        }
      }
      if (!(await lifecycle.transition('ready', { readyAt }))) return
      this.#log.info({ state: 'ready' }, record.readyAt === undefined ? 'every container is healthy; the instance is ready' : 'every container is healthy; the instance is back in service')
    } else if (lifecycle.state === 'degraded') {
      this.#turns?.cancel()
      if (!(await lifecycle.transition('ready'))) return
      this.#log.info({ state: 'ready' }, 'the crash loop is over; the instance serves again')
    }
    if (this.#record?.launchCompleted !== true && lifecycle.state === 'ready') {
      await lifecycle.complete('launching', 'CONTINUE')
      const current = this.#record
      if (current) await this.#saveRecord({ ...current, launchCompleted: true })
    }
  }

  /** The instance cannot serve: say so in its tags and let the group replace it. */
  async #failBoot(reason: string): Promise<void> {
    const lifecycle = this.#lifecycle
    if (!lifecycle) {
      this.#log.error({ state: 'failed', reason }, 'the boot failed before this instance knew who it is; nothing can be tagged')
      return
    }
    if (lifecycle.state === 'failed' || this.#drainPromise) return
    this.#log.error({ state: 'failed', reason }, 'the boot failed; asking the group to replace this instance')
    if (!(await lifecycle.transition('failed', { reason }))) return
    // ABANDON only works while a launch action waits; when none does (it timed out, or an
    // earlier agent completed it), Unhealthy is what gets the instance replaced.
    const waiting = (lifecycle.hooks?.hooks.launching.length ?? 0) > 0 && this.#record?.launchCompleted !== true && this.#record?.readyAt === undefined
    const abandoned = waiting && (await lifecycle.complete('launching', 'ABANDON'))
    if (!abandoned) await lifecycle.setUnhealthy(reason)
  }

  /**
   * A crash loop on an instance that served: tagged degraded, and set Unhealthy only in its turn
   * (crash-loop-turns.ts), so a dependency outage never takes down more than maxUnavailable.
   */
  async #degraded(reason: string): Promise<void> {
    const lifecycle = this.#lifecycle
    const ctx = this.#ctx
    if (!lifecycle || !ctx || lifecycle.markedUnhealthy) return
    await lifecycle.transition('degraded', { reason })
    this.#turns ??= new CrashLoopTurns({
      lifecycle,
      fleet: ctx.connected.fleet,
      group: ctx.group,
      instanceId: ctx.identity.instanceId,
      scheduler: this.#deps.scheduler,
      random: this.#deps.random,
      logger: this.#log,
      groupSize: this.#groupSize,
      rollout: () => this.#policy ?? ctx.desired.rollout,
      healthy: () => this.#supervisor !== undefined && this.#supervisor.unhealthyReport() === undefined,
      stopped: () => this.#drainPromise !== undefined || this.#leaving,
      enqueue: (work) => this.#enqueue(work),
    })
    await this.#turns.start()
  }

  /** Tags draining first, so every other agent's next view counts this instance as leaving, then asks the group to terminate it. */
  async #replaceByGate(lifecycle: InstanceLifecycle, reason: string): Promise<void> {
    const previous = lifecycle.state
    await lifecycle.transition('draining')
    try {
      await lifecycle.terminate()
    } catch (error) {
      if (!this.#drainPromise) await lifecycle.transition(previous, { restore: true })
      throw error
    }
    void this.#drain({ reason })
  }

  // ---- stopping ----

  /**
   * SIGTERM or SIGINT. A drain when the host is going down or the group is terminating this
   * instance; otherwise the agent alone stops and the containers keep serving (SPEC §1.10).
   */
  async #onStopSignal(signal: string): Promise<void> {
    if (this.#drainPromise || this.#leaving) return
    const shuttingDown = await this.#deps.hostShutdown.isShuttingDown().catch(() => false)
    if (shuttingDown) return void this.#drain({ reason: `${signal}: the host is shutting down` })
    const notice = this.#watch ? await this.#watch.underWay(AbortSignal.timeout(5_000)).catch(() => null) : null
    if (notice) return void this.#drain(notice)
    if (this.#drainPromise) return
    this.#leaving = true
    this.#log.info({ signal }, 'stopping the agent alone: the host stays up and no termination is under way, so the containers keep running and the next agent adopts them')
    this.#stop.abort()
    this.#cancelTimers()
    this.#finished(0)
  }

  #cancelTimers(): void {
    this.#watch?.stop()
    this.#drift?.stop()
    this.#turns?.cancel()
    this.#lifecycle?.close()
  }

  async #saveRecord(record: BootRecord): Promise<void> {
    this.#record = record
    await this.#deps.bootRecord.write(record).catch((error: unknown) => this.#log.error({ reason: messageOf(error) }, 'could not write the boot record'))
  }

  /**
   * SPEC §1.9, whoever asked: tag draining (a failed instance keeps failed), wait drainDelay for
   * the load balancer (cut to fit a spot notice), stop the containers level by level, release
   * volumes, complete the terminate hook. Heartbeats keep the hook alive while it runs.
   */
  #drain(notice: TerminationNotice): Promise<void> {
    if (this.#drainPromise) return this.#drainPromise
    this.#drainPromise = (async () => {
      const { clock, scheduler } = this.#deps
      this.#cancelTimers()
      this.#stop.abort()
      this.#log.info({ state: 'draining', reason: notice.reason }, 'draining')
      const lifecycle = this.#lifecycle
      try {
        if (this.#record) await this.#saveRecord({ ...this.#record, drain: { at: clock.now(), reason: notice.reason } })
        if (lifecycle) {
          await lifecycle.transition('draining')
          if (notice.reclaimAt !== undefined) {
            // Hand the instance to the group's own termination path now: the load balancer
            // deregisters it and the replacement launches while the notice runs.
            await lifecycle.terminate().catch((error: unknown) => this.#log.warn({ reason: messageOf(error) }, 'could not hand the spot-interrupted instance to its group'))
          }
        }
        // The hooks as they are now: one added since the boot must be completed and heartbeated too.
        if (this.#groupName) await lifecycle?.refreshHooks(this.#groupName)
        lifecycle?.heartbeat('terminating', this.#deps.heartbeatMs === undefined ? {} : { everyMs: this.#deps.heartbeatMs })
        // A boot under way may be creating and starting containers right now (its first pass
        // cannot be aborted): let it hand over its supervisor, then stop what it started.
        const supervisor = this.#supervisor ?? (await this.#booting)
        const ctx = this.#ctx
        if (supervisor && ctx) {
          await stopEverything({
            supervisor,
            desired: ctx.desired,
            drainDelayMs: this.#policy?.drainDelayMs ?? ctx.desired.rollout.drainDelayMs,
            volumes: this.#deps.volumes(ctx.service),
            reclaimAt: notice.reclaimAt,
            clock,
            scheduler,
            logger: this.#log,
          })
        }
        await lifecycle?.complete('terminating', 'CONTINUE')
        this.#log.info({ state: 'drained' }, 'drained')
      } finally {
        lifecycle?.close()
        this.#finished(0)
      }
    })()
    return this.#drainPromise
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
