/**
 * The periodic drift check of one agent (SPEC §1.8): on a jittered interval that its own calls
 * budget (drift-interval.ts), it reconciles the instance's tags, reads what it should run now
 * (DriftReader), decides with the pure `checkDrift`, and, when out of date, asks the rollout gate
 * on a fresh view. One log line per gate decision: the audit trail of a rollout.
 */
import { isDeckhandError } from '../errors.js'
import type { RolloutSpec } from '../manifest/index.js'
import { gate } from '../rollout/gate.js'
import { formatReadyAt, TAG_READY_AT, TAG_REVISION, TAG_STATE, type LaunchTemplateRef } from '../rollout/group-view.js'
import { driftIntervalMs, viewDescribeCalls } from '../rollout/drift-interval.js'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'
import type { InstanceMetadata } from '../../ports/instance-metadata.js'
import type { Logger } from '../../ports/logger.js'
import type { Metrics } from '../../ports/metrics.js'
import type { BootContext } from './boot-sequence.js'
import { checkDrift, type CheckCalls, type DriftReader } from './drift.js'
import type { InstanceLifecycle } from './lifecycle.js'

const TAG_PREFIX = 'deckhand:'

export interface DriftWatchOptions {
  readonly ctx: BootContext
  readonly lifecycle: InstanceLifecycle
  readonly reader: DriftReader
  readonly metadata: InstanceMetadata
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly random: () => number
  readonly logger: Logger
  /** Overrides the computed interval (tests, local fleets). */
  readonly intervalMs?: number
  /** The group's size as last read; the watch updates it. */
  readonly fleet: { size: number }
  /** True once the instance is draining or the agent is leaving: nothing more to decide. */
  stopped(): boolean
  /** The rollout section as it is now, for the agent's other decisions. */
  onRollout(rollout: RolloutSpec): void
  /** Counts each gate decision by outcome. */
  readonly metrics?: Metrics
  /** The gate said terminate: take the instance out through its group. */
  replace(reason: string): Promise<void>
}

export class DriftWatch {
  readonly #o: DriftWatchOptions
  #timer: Cancellable | undefined
  #checking = false
  #throttled = 0
  #lastCalls: CheckCalls = { ssm: 1, autoScaling: 1, ec2: 0 }
  #imdsTagsOff = false
  #launchedFrom: { readonly template?: LaunchTemplateRef } | undefined

  constructor(options: DriftWatchOptions) {
    this.#o = options
  }

  /**
   * The first check comes at a random phase of the interval, so a fleet that booted together
   * spreads its calls over the whole interval instead of the ±10% jitter window.
   */
  start(first = true): void {
    if (this.#o.stopped()) return
    const { random, scheduler } = this.#o
    const interval =
      this.#o.intervalMs ??
      driftIntervalMs({
        fleetSize: this.#o.fleet.size,
        random: random(),
        throttledCount: this.#throttled,
        callsPerCheck: this.#lastCalls.ssm,
        autoScalingCalls: this.#lastCalls.autoScaling,
        ec2Calls: this.#lastCalls.ec2,
      })
    const delay = first ? random() * interval : interval
    this.#timer?.cancel()
    this.#timer = scheduler.after(delay, () => {
      void this.check().finally(() => this.start(false))
    })
  }

  stop(): void {
    this.#timer?.cancel()
  }

  /**
   * One drift check: the instance's own tags reconciled (IMDS, free), one GetParameters for the
   * versions, one DescribeAutoScalingGroups; the view and the gate only when out of date.
   */
  async check(): Promise<void> {
    const { ctx, lifecycle, reader, logger: log } = this.#o
    if (this.#o.stopped() || this.#checking) return
    this.#checking = true
    const calls = { ssm: 0, autoScaling: 0, ec2: 0 }
    let throttled = false
    const noteFailure = (error: unknown) => {
      if (isDeckhandError(error) && error.retryable) throttled = true
    }
    try {
      await this.#reconcileTags(calls).catch((error: unknown) => {
        noteFailure(error)
        log.debug({ reason: messageOf(error) }, 'could not read the instance tags to reconcile them')
      })
      let read: Awaited<ReturnType<DriftReader['wanted']>>
      try {
        read = await reader.wanted()
        calls.ssm += read.calls
      } catch (error) {
        noteFailure(error)
        calls.ssm += reader.ssmCallsPerCheck
        log.warn({ reason: messageOf(error), throttled: this.#throttled + 1 }, 'drift check could not read SSM; keeping everything as it is')
        return
      }
      const launch = await reader.launch()
      calls.autoScaling += 1
      this.#o.fleet.size = Math.max(1, launch.desiredCapacity)
      const launchedFrom = await this.#ownLaunchTemplate(calls)
      const verdict = checkDrift({ revision: ctx.desired.revision, imageId: ctx.identity.imageId, rollout: ctx.desired.rollout }, { wanted: read.wanted, launch, ...(launchedFrom ? { launchedFrom } : {}) })
      this.#o.onRollout(verdict.rollout)
      if (verdict.kind === 'stay') {
        if ('unrollable' in read.wanted) log.error({ decision: 'stay', reason: verdict.reason }, `drift check: ${verdict.reason.split('\n')[0] ?? ''}`)
        else log.debug({ decision: 'stay' }, 'drift check: up to date')
        return
      }
      const view = await ctx.connected.fleet.view(ctx.group)
      calls.autoScaling += 1
      calls.ec2 += viewDescribeCalls(view.instances.length)
      this.#o.fleet.size = Math.max(1, view.desiredCapacity)
      const self = view.instances.find((i) => i.id === ctx.identity.instanceId)
      if (self && !this.#o.stopped()) {
        await lifecycle.observe({
          ...(self.state === undefined ? {} : { [TAG_STATE]: self.state }),
          ...(self.revision === undefined ? {} : { [TAG_REVISION]: self.revision }),
          ...(self.readyAt === undefined ? {} : { [TAG_READY_AT]: formatReadyAt(self.readyAt) }),
        })
      }
      const state = this.#o.stopped() ? 'draining' : lifecycle.state
      const result = gate(view, { instanceId: ctx.identity.instanceId, revision: ctx.desired.revision, desiredRevision: verdict.desiredRevision, state }, verdict.rollout, this.#o.clock.now())
      log.info({ decision: result.decision, code: result.code, reason: result.reason, desiredRevision: verdict.desiredRevision, ...result.facts }, `rollout gate: ${result.decision}`)
      this.#o.metrics?.gateDecision(result)
      // A drain that began while the view was read (SIGTERM, a spot notice) has the instance now.
      if (result.decision !== 'terminate' || this.#o.stopped()) return
      await this.#o.replace(`replaced by the rollout: ${result.reason}`)
    } catch (error) {
      noteFailure(error)
      log.warn({ reason: messageOf(error) }, 'drift check failed; keeping everything as it is')
    } finally {
      this.#throttled = throttled ? this.#throttled + 1 : 0
      this.#lastCalls = { ssm: Math.max(1, calls.ssm), autoScaling: Math.max(1, calls.autoScaling), ec2: calls.ec2 }
      this.#checking = false
    }
  }

  /** The instance's own deckhand tags, from IMDS when it serves them, else one DescribeInstances. */
  async #reconcileTags(calls: { ec2: number }): Promise<void> {
    const { ctx, lifecycle, metadata } = this.#o
    let tags = this.#imdsTagsOff ? undefined : await metadata.instanceTags(TAG_PREFIX)
    if (tags === undefined) {
      this.#imdsTagsOff = true
      calls.ec2 += 1
      tags = await ctx.connected.fleet.instanceTags(ctx.identity.instanceId)
    }
    if (this.#o.stopped()) return
    await lifecycle.observe(Object.fromEntries(Object.entries(tags).filter(([key]) => key.startsWith(TAG_PREFIX))))
  }

  /**
   * The launch template version this instance was launched from, as the group's view shows it
   * (EC2's `aws:ec2launchtemplate:*` tags), read once. Not the group's version when the agent
   * started: one made between the launch and the agent's start (the OS boot), or before an agent
   * restart, would look like this instance's own, and the instance would never be replaced.
   * Unknown (not in the view yet) compares as nothing, and is asked again at the next check.
   */
  async #ownLaunchTemplate(calls: { autoScaling: number; ec2: number }): Promise<LaunchTemplateRef | undefined> {
    if (this.#launchedFrom) return this.#launchedFrom.template
    const { ctx } = this.#o
    const view = await ctx.connected.fleet.view(ctx.group)
    calls.autoScaling += 1
    calls.ec2 += viewDescribeCalls(view.instances.length)
    const self = view.instances.find((instance) => instance.id === ctx.identity.instanceId)
    if (!self) return undefined
    this.#launchedFrom = self.launchTemplate ? { template: self.launchTemplate } : {}
    return self.launchTemplate
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
