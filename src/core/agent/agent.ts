/**
 * `deckhand agent`: SPEC §1 on an EC2 instance of an Auto Scaling Group.
 *
 * Design. The agent is a short sequence (identity → group → config → boot) followed by three
 * independent loops: the supervisor (containers), the drift check (should this instance be
 * replaced?) and the termination watch (is it being replaced?). Every AWS read in the sequence
 * is retried until it answers (`persist`): uncertainty never terminates an instance and never
 * stops its containers. Only three things end an instance's life, each through the ASG: a boot
 * that fails (launch hook ABANDON, or Unhealthy), a crash loop (Unhealthy), and the rollout gate
 * saying "terminate" (TerminateInstanceInAutoScalingGroup on itself). Every termination,
 * whoever started it, goes through one idempotent `drain`.
 */
import { formatIssues, parseManifest, withRevision, type DesiredState, type HostCapacity, type Manifest } from '../manifest/index.js'
import { boot } from '../boot/boot.js'
import { DeckhandError } from '../errors.js'
import { gate } from '../rollout/gate.js'
import { formatReadyAt, TAG_READY_AT, TAG_REVISION, TAG_STATE, type InstanceState as TagState, type LaunchTemplateRef } from '../rollout/group-view.js'
import { callsPerCheck, driftIntervalMs } from '../rollout/drift-interval.js'
import type { Supervisor } from '../supervisor/supervisor.js'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'
import { manifestParameter, versionParameter, type ConfigStore, type ServiceConfig } from '../../ports/config-store.js'
import type { ContainerRuntime } from '../../ports/container-runtime.js'
import type { Fleet, GroupInfo } from '../../ports/fleet.js'
import type { HealthProbe } from '../../ports/health-probe.js'
import type { ImageFetcher } from '../../ports/image-fetcher.js'
import type { InstanceIdentity, InstanceMetadata } from '../../ports/instance-metadata.js'
import type { Logger } from '../../ports/logger.js'
import type { ParameterValue } from '../../ports/parameters.js'
import type { StatusStore } from '../../ports/status-store.js'
import type { BootRecord, BootRecordStore } from '../../ports/boot-record.js'
import type { VolumeProvider } from '../../ports/volumes.js'
import { pause, persist, type PersistOptions } from '../persist.js'

/** What the agent needs once it knows its Region (the SDK clients and ECR need it). */
export interface Connected {
  readonly config: ConfigStore
  readonly fleet: Fleet
  readonly runtime: ContainerRuntime
  readonly images: ImageFetcher
}

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
  readonly bootRecord?: BootRecordStore
  readonly host: HostCapacity
  readonly random: () => number
  /** How often IMDS is asked whether this instance is terminating. Default 5 s (AWS's advice for spot). */
  readonly terminationPollMs?: number
  /** Lifecycle hook heartbeats while a drain runs. Default 10 s (the shortest hook timeout is 30 s). */
  readonly heartbeatMs?: number
  /** Overrides the drift interval (tests); default from the fleet size (drift-interval.ts). */
  readonly driftIntervalMs?: number
}

const GROUP_TAG = 'aws:autoscaling:groupName'
const SERVICE_TAG = 'deckhand:service'

export class Agent {
  private readonly deps: AgentDependencies
  private log: Logger
  private readonly bootAbort = new AbortController()
  private readonly timers: Cancellable[] = []
  private connected?: Connected
  private identity?: InstanceIdentity
  private group?: string
  private info?: GroupInfo
  private service?: string
  private desired?: DesiredState
  private manifest?: Manifest
  private bootConfig?: ServiceConfig
  private parameterVersions: Record<string, number> = {}
  private supervisor?: Supervisor
  /** The boot's supervisor once it has started its first containers: what a drain must wait for. */
  private booting?: Promise<Supervisor | undefined>
  private tagState: TagState = 'booting'
  private drainPromise?: Promise<void>
  private finished!: () => void
  private readonly done = new Promise<void>((resolve) => (this.finished = resolve))
  private throttled = 0
  private markedUnhealthy = false
  /** What this instance booted with; `readyAt` once it was ready, seen by this agent or an earlier one. */
  private bootRecord: BootRecord | undefined
  private checking = false
  private driftTimer: Cancellable | undefined
  /** Read once from the view: see ownLaunchTemplate. */
  private launchedFrom?: { readonly template?: LaunchTemplateRef }

  constructor(deps: AgentDependencies) {
    this.deps = deps
    this.log = deps.logger
  }

  /** Runs until the instance drains; resolves with the exit code. */
  async run(stopRequested: Promise<string>): Promise<number> {
    void stopRequested.then((signal) => this.drain(`${signal} from the system`))
    try {
      await this.bootSequence()
    } catch (error) {
      if (!this.bootAbort.signal.aborted) throw error
    }
    await this.done
    return 0
  }

  private get everReady(): boolean {
    return this.bootRecord?.readyAt !== undefined
  }

  private async saveBootRecord(): Promise<void> {
    if (!this.bootRecord) return
    await this.deps.bootRecord?.write(this.bootRecord).catch((error: unknown) => this.log.warn({ reason: String(error) }, 'could not write the boot record'))
  }

  private persistOptions(extra: Partial<PersistOptions> = {}): PersistOptions {
    return { scheduler: this.deps.scheduler, logger: this.log, random: this.deps.random, signal: this.bootAbort.signal, ...extra }
  }

  private async bootSequence(): Promise<void> {
    const { metadata } = this.deps
    const signal = this.bootAbort.signal
    const identity = await persist('the instance identity from IMDS', () => metadata.identity(signal), this.persistOptions())
    this.identity = identity
    this.log = this.deps.logger.child({ instance: identity.instanceId })
    const connected = await this.deps.connect(identity)
    this.connected = connected
    const { fleet, config } = connected

    const previous = await this.deps.bootRecord?.read()
    const record = previous?.instanceId === identity.instanceId ? previous : undefined
    if (record) this.log.info({ group: record.group, service: record.service }, 'restarted on the same instance: running what it booted with')

    const group =
      record?.group ??
      (await persist(
        'the Auto Scaling group of this instance',
        async () => {
          const name = (await metadata.instanceTag(GROUP_TAG, signal)) ?? (await fleet.groupOf(identity.instanceId, signal))
          if (name === undefined) throw new DeckhandError('SERVICE_UNKNOWN', `Instance ${identity.instanceId} is in no Auto Scaling group; launch it from one (deckhand runs one service per group).`)
          return name
        },
        this.persistOptions(),
      ))
    this.group = group
    this.watchTermination()

    const info = await persist(`the Auto Scaling group ${group}`, () => fleet.group(group, signal), this.persistOptions())
    this.info = info
    const service = record?.service ?? info.tags[SERVICE_TAG] ?? group
    this.service = service
    this.log = this.log.child({ service })

    const loaded: ServiceConfig = record
      ? { manifest: record.manifest, ...(record.release ? { release: record.release } : {}) }
      : await persist(`the config under /deckhand/${service}/ in SSM`, () => config.load(service, signal), this.persistOptions())
    this.bootConfig = loaded
    const parsed = parseManifest(loaded.manifest.value, { version: loaded.release?.value })
    if (!parsed.ok) {
      await this.bootFailed(`The manifest in ${manifestParameter(service)} is invalid:\n${formatIssues(parsed.issues)}\nfix it with deckhand validate and set it again.`)
      return
    }
    this.manifest = parsed.manifest
    let values: ReadonlyMap<string, ParameterValue>
    try {
      values = await persist('the SSM parameters the manifest references', () => this.readParameters(parsed.manifest.parameters, record), this.persistOptions({ attempts: 8, retryableCounts: false }))
    } catch (error) {
      await this.bootFailed(error instanceof Error ? error.message : String(error))
      return
    }
    this.parameterVersions = Object.fromEntries([...values].map(([name, v]) => [name, v.version]))
    const desired = withRevision(parsed.manifest, this.parameterVersions)
    this.desired = desired
    this.bootRecord = record ?? { instanceId: identity.instanceId, group, service, manifest: loaded.manifest, ...(loaded.release ? { release: loaded.release } : {}), parameterVersions: this.parameterVersions }
    if (!record) await this.saveBootRecord()
    this.log = this.log.child({ revision: desired.revision })
    if (record?.readyAt !== undefined) {
      // It was serving before this agent restarted: its tags still say ready, and stay so.
      this.tagState = 'ready'
      this.log.info({ group, version: desired.version, readyAt: formatReadyAt(record.readyAt) }, 'adopting: this instance was ready before the agent restarted')
    } else {
      this.log.info({ group, version: desired.version, containers: desired.containers.map((c) => c.name) }, 'booting')
      await this.tag({ [TAG_STATE]: 'booting', [TAG_REVISION]: desired.revision })
    }

    // An engine that is not up yet (the agent started first, or dockerd is restarting) is waited
    // for, like any other dependency: it is not a reason to fail the instance.
    await persist('the Docker engine', () => connected.runtime.ping(signal), this.persistOptions())
    try {
      const booting = boot({
        identity: { instanceId: identity.instanceId, service },
        desired,
        host: this.deps.host,
        runtime: connected.runtime,
        images: connected.images,
        volumes: this.deps.volumes(service),
        parameters: config,
        parameterValues: values,
        probe: this.deps.probe,
        clock: this.deps.clock,
        scheduler: this.deps.scheduler,
        logger: this.log,
        ...(this.deps.status ? { status: this.deps.status } : {}),
        signal,
      })
      this.booting = booting.catch(() => undefined)
      this.supervisor = await booting
    } catch (error) {
      if (signal.aborted) return
      await this.bootFailed(error instanceof Error ? error.message : String(error))
      return
    }
    const supervisor = this.supervisor
    supervisor.onStateChange((state, detail) => void this.onSupervisorState(state, detail))
    await this.onSupervisorState(supervisor.instanceState, supervisor.snapshot().detail)
    this.scheduleDriftCheck(true)
  }

  /** Secrets at the versions this instance booted with (`name:N`), or the newest on a first boot. */
  private async readParameters(names: readonly string[], record: BootRecord | undefined): Promise<ReadonlyMap<string, ParameterValue>> {
    const config = this.connected?.config
    if (!config || names.length === 0) return new Map()
    if (!record) return config.read(names, this.bootAbort.signal)
    const pinned = names.map((name) => (record.parameterVersions[name] === undefined ? name : `${name}:${record.parameterVersions[name]}`))
    const read = await config.read(pinned, this.bootAbort.signal)
    return new Map(names.map((name, i) => [name, read.get(pinned[i] ?? name)] as const).filter((e): e is [string, ParameterValue] => e[1] !== undefined))
  }

  private async onSupervisorState(state: string, detail: string | undefined): Promise<void> {
    if (this.drainPromise) return
    if (state === 'ready' && !this.everReady && this.bootRecord) {
      const now = this.deps.clock.now()
      this.bootRecord = { ...this.bootRecord, readyAt: now }
      await this.tag({ [TAG_STATE]: 'ready', [TAG_READY_AT]: formatReadyAt(now) })
      this.tagState = 'ready'
      await this.saveBootRecord()
      await this.completeHooks('launching', 'CONTINUE')
      this.log.info({ state: 'ready' }, 'every container is healthy; the instance is ready')
    } else if (state === 'failed') {
      await this.bootFailed(detail ?? 'the boot failed')
    } else if (state === 'crash-loop') {
      // Before it was ever ready, a crash loop is a failed boot: the launch hook is abandoned.
      if (this.everReady) await this.markUnhealthy(`crash loop: ${detail ?? ''}`)
      else await this.bootFailed(`crash loop: ${detail ?? ''}`)
    }
  }

  /** The instance cannot serve: say so in its tags and let the ASG replace it. */
  private async bootFailed(reason: string): Promise<void> {
    if (this.tagState === 'failed' || this.drainPromise) return
    this.tagState = 'failed'
    this.log.error({ state: 'failed', reason }, 'the boot failed; asking the group to replace this instance')
    await this.tag({ [TAG_STATE]: 'failed' })
    // ABANDON only works while a launch action waits; when none did (it timed out, or an earlier
    // agent completed it), Unhealthy is what gets the instance replaced.
    const abandoned = (this.info?.hooks.launching.length ?? 0) > 0 && !this.everReady && (await this.completeHooks('launching', 'ABANDON'))
    if (!abandoned) await this.markUnhealthy(reason)
  }

  private async markUnhealthy(reason: string): Promise<void> {
    if (this.markedUnhealthy || !this.identity || !this.connected) return
    this.markedUnhealthy = true
    this.log.error({ decision: 'unhealthy', reason }, 'setting this instance Unhealthy so the group replaces it')
    if (this.tagState !== 'failed') {
      this.tagState = 'failed'
      await this.tag({ [TAG_STATE]: 'failed' })
    }
    const { fleet } = this.connected
    const id = this.identity.instanceId
    await persist('SetInstanceHealth Unhealthy', () => fleet.setUnhealthy(id), this.persistOptions({ signal: undefined, attempts: 10, retryableCounts: false })).catch((error: unknown) =>
      this.log.error({ reason: String(error) }, 'could not set the instance Unhealthy'),
    )
  }

  private async tag(tags: Record<string, string>): Promise<void> {
    if (!this.identity || !this.connected) return
    const { fleet } = this.connected
    const id = this.identity.instanceId
    await persist(`tags ${Object.keys(tags).join(', ')}`, () => fleet.tagInstance(id, tags), this.persistOptions({ signal: undefined, attempts: 10 })).catch((error: unknown) =>
      this.log.error({ reason: String(error), tags }, 'could not tag the instance'),
    )
  }

  /** True when at least one hook of the transition was completed. */
  private async completeHooks(transition: 'launching' | 'terminating', result: 'CONTINUE' | 'ABANDON'): Promise<boolean> {
    if (!this.identity || !this.connected || !this.group || !this.info) return false
    const { fleet } = this.connected
    const id = this.identity.instanceId
    const group = this.group
    let completed = false
    for (const hook of this.info.hooks[transition]) {
      try {
        // A throttled Auto Scaling API is waited out: an unanswered launch hook ends in ABANDON.
        // "No active lifecycle action" will not change by waiting: one more try, then on.
        await persist(`CompleteLifecycleAction ${hook}`, () => fleet.completeLifecycleAction(group, hook, id, result), this.persistOptions({ signal: undefined, attempts: 2, retryableCounts: false }))
        this.log.info({ hook, result }, `lifecycle hook completed with ${result}`)
        completed = true
      } catch (error) {
        // No action waiting: the hook timed out already, or this transition had none.
        this.log.warn({ hook, result, reason: error instanceof Error ? error.message : String(error) }, 'could not complete the lifecycle hook')
      }
    }
    return completed
  }

  // ---- drift ----

  /**
   * The first check comes at a random phase of the interval, so a fleet that booted together
   * spreads its SSM calls over the whole interval instead of the ±10% jitter window.
   */
  private scheduleDriftCheck(first = false): void {
    if (this.drainPromise || !this.desired) return
    const interval =
      this.deps.driftIntervalMs ??
      driftIntervalMs({
        fleetSize: this.info?.desiredCapacity ?? 1,
        random: this.deps.random(),
        throttledCount: this.throttled,
        callsPerCheck: callsPerCheck(2 + this.desired.parameters.length),
      })
    const delay = first ? this.deps.random() * interval : interval
    this.driftTimer?.cancel()
    this.driftTimer = this.deps.scheduler.after(delay, () => {
      void this.driftCheck().finally(() => this.scheduleDriftCheck())
    })
  }

  /** One drift check: one GetParameters for versions; more calls only when something moved. */
  async driftCheck(): Promise<void> {
    const { connected, desired, manifest, service, group, identity, info, bootConfig } = this
    if (!connected || !desired || !manifest || !service || !group || !identity || !info || !bootConfig || this.drainPromise || this.checking) return
    this.checking = true
    try {
      const { config, fleet } = connected
      const names = [manifestParameter(service), versionParameter(service), ...desired.parameters]
      let versions: ReadonlyMap<string, number>
      try {
        versions = await config.versions(names)
        this.throttled = 0
      } catch (error) {
        this.throttled += 1
        this.log.warn({ reason: error instanceof Error ? error.message : String(error), throttled: this.throttled }, 'drift check could not read SSM; keeping everything as it is')
        return
      }
      let desiredRevision = desired.revision
      let policy = desired.rollout
      if (versions.get(names[0]!) !== bootConfig.manifest.version || versions.get(names[1]!) !== bootConfig.release?.version) {
        const loaded = await config.load(service)
        const parsed = parseManifest(loaded.manifest.value, { version: loaded.release?.value })
        if (!parsed.ok) {
          this.log.error({ decision: 'stay', reason: formatIssues(parsed.issues) }, `the manifest now in ${manifestParameter(service)} is invalid; not rolling to it`)
          return
        }
        const refs = await config.versions(parsed.manifest.parameters)
        if (parsed.manifest.parameters.some((name) => !refs.has(name))) {
          this.log.error({ decision: 'stay' }, 'the new manifest references SSM parameters that do not exist; not rolling to it')
          return
        }
        desiredRevision = withRevision(parsed.manifest, Object.fromEntries(refs)).revision
        policy = parsed.manifest.rollout
      } else if (desired.parameters.some((name) => versions.get(name) !== this.parameterVersions[name])) {
        const gone = desired.parameters.filter((name) => !versions.has(name))
        if (gone.length > 0) {
          // A replacement could not boot without them: rolling would only churn the group.
          this.log.error({ decision: 'stay', parameters: gone }, `SSM parameters the manifest references no longer exist (${gone.join(', ')}); not rolling until they do`)
          return
        }
        desiredRevision = withRevision(manifest, Object.fromEntries(desired.parameters.map((name) => [name, versions.get(name) ?? -1]))).revision
      }
      const current = await fleet.launch(group)
      // this.info, not the one read when the check began: a drain may have re-read the hooks since.
      if (this.info) this.info = { ...this.info, desiredCapacity: current.desiredCapacity }
      const launchedFrom = await this.ownLaunchTemplate(fleet, group)
      const launchMoved =
        (current.launchTemplate !== undefined && launchedFrom !== undefined && (current.launchTemplate.id !== launchedFrom.id || current.launchTemplate.version !== launchedFrom.version)) ||
        (current.imageId !== undefined && current.imageId !== identity.imageId)
      if (desiredRevision === desired.revision && !launchMoved) {
        this.log.debug({ decision: 'stay' }, 'drift check: up to date')
        return
      }
      const view = await fleet.view(group)
      const result = gate(view, { instanceId: identity.instanceId, revision: desired.revision, desiredRevision, state: this.tagState }, policy, this.deps.clock.now())
      this.log.info({ decision: result.decision, code: result.code, reason: result.reason, desiredRevision, ...result.facts }, `rollout gate: ${result.decision}`)
      const readyAt = this.bootRecord?.readyAt
      if (result.code === 'stale-view' && this.tagState === 'ready' && readyAt !== undefined) {
        // The view may only lag, or the ready tags were lost (CreateTags gave up under throttling):
        // every other agent would then count this instance as missing and the rollout would stall.
        await this.tag({ [TAG_STATE]: 'ready', [TAG_READY_AT]: formatReadyAt(readyAt) })
      }
      // A drain that began while the view was read (SIGTERM, a spot notice) has the instance now.
      if (result.decision !== 'terminate' || this.drainPromise) return
      // Tag draining first, so every other agent's next view counts this instance as leaving.
      const previous = this.tagState
      this.tagState = 'draining'
      await this.tag({ [TAG_STATE]: 'draining' })
      try {
        await fleet.terminate(identity.instanceId)
      } catch (error) {
        if (!this.drainPromise) {
          this.tagState = previous
          await this.tag({ [TAG_STATE]: previous })
        }
        throw error
      }
      void this.drain(`replaced by the rollout: ${result.reason}`)
    } catch (error) {
      this.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'drift check failed; keeping everything as it is')
    } finally {
      this.checking = false
    }
  }

  /**
   * The launch template version this instance was launched from, as the group's view shows it
   * (EC2's `aws:ec2launchtemplate:*` tags), read once. Not the group's version when the agent
   * started: one made between the launch and the agent's start (the OS boot), or before an agent
   * restart, would look like this instance's own, and the instance would never be replaced.
   * Unknown (not in the view yet) compares as nothing, and is asked again at the next check.
   */
  private async ownLaunchTemplate(fleet: Fleet, group: string): Promise<LaunchTemplateRef | undefined> {
    if (this.launchedFrom) return this.launchedFrom.template
    const id = this.identity?.instanceId
    const self = (await fleet.view(group)).instances.find((instance) => instance.id === id)
    if (!self) return undefined
    this.launchedFrom = self.launchTemplate ? { template: self.launchTemplate } : {}
    return self.launchTemplate
  }

  // ---- termination ----

  private watchTermination(): void {
    const every = this.deps.terminationPollMs ?? 5_000
    let polls = 0
    this.timers.push(
      this.deps.scheduler.every(every, () => {
        polls += 1
        void this.pollTermination(polls % 12 === 0)
      }),
    )
  }

  private async pollTermination(askTheGroup: boolean): Promise<void> {
    if (this.drainPromise || !this.identity || !this.connected) return
    const { metadata } = this.deps
    const target = await metadata.targetLifecycleState().catch(() => undefined)
    if (target === 'Terminated') return void this.drain('the group is terminating this instance (target lifecycle state Terminated)')
    const spot = await metadata.spotInterruption().catch(() => undefined)
    if (spot) return void this.drain(`spot interruption notice: ${spot.action} at ${new Date(spot.time).toISOString()}`)
    // IMDS answers 404 until the first transition and, reportedly, for a while after a host
    // live migration: once the instance should be InService, ask the group itself now and then.
    if (target === undefined && this.everReady && askTheGroup) {
      const state = await this.connected.fleet.lifecycleState(this.identity.instanceId).catch(() => undefined)
      if (state?.startsWith('Terminating')) void this.drain(`the group is terminating this instance (${state})`)
    }
  }

  /**
   * SPEC §1.9, whoever asked: tag draining, wait drainDelay for the load balancer, stop the
   * containers in reverse order, release volumes, complete the terminate hook. Heartbeats keep
   * the hook alive while it runs.
   */
  drain(reason: string): Promise<void> {
    if (this.drainPromise) return this.drainPromise
    this.drainPromise = (async () => {
      for (const timer of this.timers) timer.cancel()
      this.driftTimer?.cancel()
      this.bootAbort.abort(new DeckhandError('INTERNAL', `draining: ${reason}`))
      this.log.info({ state: 'draining', reason }, 'draining')
      const heartbeat = this.deps.scheduler.every(this.deps.heartbeatMs ?? heartbeatEveryMs(this.info), () => void this.heartbeat())
      // The hooks as they are now: one added since the boot (the Terraform module applied to a
      // running group) must be completed and heartbeated too, or the group waits out its timeout.
      const hooksRead = this.refreshHooks()
      try {
        if (this.identity && this.connected && this.tagState !== 'draining') {
          this.tagState = 'draining'
          await this.tag({ [TAG_STATE]: 'draining' })
        }
        // A boot under way may be creating and starting containers right now (its first pass
        // cannot be aborted): let it hand over its supervisor, then stop what it started.
        const supervisor = this.supervisor ?? (await this.booting)
        const delay = this.desired?.rollout.drainDelayMs ?? 0
        if (delay > 0 && supervisor) {
          this.log.info({ drainDelay: delay }, 'waiting for the load balancer to drain connections')
          await pause(this.deps.scheduler, delay)
        }
        await supervisor?.drain()
        if (this.desired && this.service) {
          const volumes = this.deps.volumes(this.service)
          for (const [name, spec] of Object.entries(this.desired.volumes)) {
            await volumes.release(name, spec).catch((error: unknown) => this.log.error({ volume: name, reason: String(error) }, 'could not release the volume'))
          }
        }
        await hooksRead
        await this.completeHooks('terminating', 'CONTINUE')
        this.log.info({ state: 'drained' }, 'drained')
      } finally {
        heartbeat.cancel()
        this.finished()
      }
    })()
    return this.drainPromise
  }

  /** Re-reads the group's hooks; on failure the ones read at boot stand. */
  private async refreshHooks(): Promise<void> {
    if (!this.connected || !this.group) return
    const fresh = await this.connected.fleet.group(this.group).catch((error: unknown) => {
      this.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'could not re-read the lifecycle hooks; using those read at boot')
      return undefined
    })
    // Before the boot read the group (it was still retrying), this is the only read there is.
    if (!fresh) return
    const { hooks, heartbeatTimeouts } = fresh
    this.info = this.info ? { ...this.info, hooks, ...(heartbeatTimeouts ? { heartbeatTimeouts } : {}) } : fresh
  }

  private async heartbeat(): Promise<void> {
    if (!this.identity || !this.connected || !this.group || !this.info) return
    for (const hook of this.info.hooks.terminating) {
      await this.connected.fleet.recordHeartbeat(this.group, hook, this.identity.instanceId).catch(() => undefined)
    }
  }
}

/**
 * How often a drain heartbeats its terminate hooks: a third of the shortest heartbeat timeout, so
 * two may be lost, and never more often than every 10 s. A fleet scaling in by hundreds shares
 * one Auto Scaling bucket; a hook that gives an hour does not need a call every 10 s.
 */
export function heartbeatEveryMs(info: Pick<GroupInfo, 'hooks' | 'heartbeatTimeouts'> | undefined): number {
  const timeouts = (info?.hooks.terminating ?? []).flatMap((hook) => {
    const seconds = info?.heartbeatTimeouts?.[hook]
    return seconds === undefined ? [] : [seconds]
  })
  if (timeouts.length === 0) return 10_000
  return Math.max(10_000, (Math.min(...timeouts) * 1000) / 3)
}
