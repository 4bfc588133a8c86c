/**
 * The instance's lifecycle in AWS: its deckhand tags, its lifecycle hooks, its health and its
 * own termination. This is the only writer of any of them.
 *
 * Design. It holds the desired lifecycle state (state, revision, ready-at, reason), changed at
 * once and synchronously by `transition`, so that every decision made after a change (the
 * rollout gate's view of itself above all) sees the new state before AWS does. Tags follow
 * through one coalescing writer: at most one CreateTags in flight, always of the newest desired
 * state, retried until AWS answers (a throttle delays it, never ends it). Nothing trusts what it
 * wrote: `observe` compares the tags AWS shows with the desired ones on every check and writes
 * again whatever was lost, stale or changed by someone else.
 *
 * Transitions follow one table (`allowed`): `failed` is final, `draining` is left only to put
 * back an instance whose drain was not a termination (an agent restart, a failed Terminate), and
 * a late `ready` can never overwrite `failed` or `degraded` news that came after it.
 */
import type { TagState } from '../instance-state.js'
import { persist } from '../persist.js'
import { formatReadyAt, parseReadyAt, TAG_READY_AT, TAG_REASON, TAG_REVISION, TAG_STATE } from '../rollout/group-view.js'
import { oneLine } from '../safe-text.js'
import type { Cancellable, Scheduler } from '../../ports/clock.js'
import type { Fleet, GroupInfo, LifecycleTransition } from '../../ports/fleet.js'
import type { Logger } from '../../ports/logger.js'

export interface DesiredLifecycle {
  readonly state: TagState
  /** Unknown until the manifest is read; a boot that fails before that is tagged without one. */
  readonly revision?: string
  /** Epoch ms when it first became ready; written with `ready` in the same call. */
  readonly readyAt?: number
  /** With `failed` and `degraded`: one line, no secrets. */
  readonly reason?: string
}

export interface LifecycleOptions {
  readonly fleet: Fleet
  readonly instanceId: string
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly random: () => number
  readonly initial: DesiredLifecycle
  /** Values that must never reach a tag (secrets the manifest references). */
  readonly secrets?: () => Iterable<string>
  /** Told of every change of the desired state, before the tags are written (metrics). */
  readonly onChange?: (desired: DesiredLifecycle) => void
}

/** The group as far as hooks are concerned; set once the group is known. */
export interface HookTarget {
  readonly group: string
  readonly hooks: GroupInfo['hooks']
  readonly heartbeatTimeouts?: GroupInfo['heartbeatTimeouts']
}

const NEXT: Readonly<Record<TagState, readonly TagState[]>> = {
  // `degraded` from `booting` only for an instance that served before (a drain put back): the
  // agent fails a first boot that crash-loops instead.
  booting: ['booting', 'ready', 'degraded', 'failed', 'draining'],
  ready: ['ready', 'degraded', 'failed', 'draining'],
  degraded: ['degraded', 'ready', 'failed', 'draining'],
  failed: ['failed'],
  draining: ['draining'],
}

/** Whether the lifecycle may go from one state to another; `restore` puts back a drain that was not a termination. */
export function allowed(from: TagState, to: TagState, options: { restore?: boolean } = {}): boolean {
  if (from === 'draining' && options.restore === true) return to === 'ready' || to === 'booting' || to === 'degraded'
  return NEXT[from].includes(to)
}

/** The tags a desired state is written as. */
export function desiredTags(desired: DesiredLifecycle): Record<string, string> {
  return {
    [TAG_STATE]: desired.state,
    ...(desired.revision === undefined ? {} : { [TAG_REVISION]: desired.revision }),
    ...(desired.readyAt === undefined ? {} : { [TAG_READY_AT]: formatReadyAt(desired.readyAt) }),
    ...(desired.reason === undefined ? {} : { [TAG_REASON]: desired.reason }),
  }
}

/** Which desired tags the observed ones contradict, and whether a reason must be removed. */
export function tagDrift(desired: DesiredLifecycle, observed: Readonly<Record<string, string>>): { readonly stale: string[]; readonly removeReason: boolean } {
  const want = desiredTags(desired)
  const stale = Object.keys(want).filter((key) => {
    if (key === TAG_READY_AT) return parseReadyAt(observed[key]) !== parseReadyAt(want[key])
    return observed[key] !== want[key]
  })
  return { stale, removeReason: desired.reason === undefined && observed[TAG_REASON] !== undefined }
}

export class InstanceLifecycle {
  readonly #options: LifecycleOptions
  #desired: DesiredLifecycle
  #target: HookTarget | undefined
  #dirty = false
  #removeReason = false
  #writing: Promise<void> | undefined
  #unhealthy: Promise<void> | undefined
  readonly #heartbeats = new Map<LifecycleTransition, Cancellable>()
  readonly #completed = new Set<LifecycleTransition>()

  constructor(options: LifecycleOptions) {
    this.#options = options
    this.#desired = options.initial
  }

  get desired(): DesiredLifecycle {
    return this.#desired
  }

  get state(): TagState {
    return this.#desired.state
  }

  /** The revision, once the manifest is known; written with the next tags. */
  setRevision(revision: string): void {
    this.#desired = { ...this.#desired, revision }
  }

  get fleet(): Fleet {
    return this.#options.fleet
  }

  /** The group's hooks, once the boot has read the group (and again when a drain re-reads them). */
  setHooks(target: HookTarget): void {
    this.#target = target
  }

  /**
   * Reads the group's hooks again (a drain does, so a hook added since the boot is completed and
   * heartbeated too); on failure the ones read before stand.
   */
  async refreshHooks(group: string): Promise<void> {
    const fresh = await this.#options.fleet.group(group).catch((error: unknown) => {
      this.#options.logger.warn({ reason: message(error) }, 'could not re-read the lifecycle hooks; using those read at boot')
      return undefined
    })
    if (fresh) this.setHooks({ group, hooks: fresh.hooks, ...(fresh.heartbeatTimeouts ? { heartbeatTimeouts: fresh.heartbeatTimeouts } : {}) })
  }

  get hooks(): HookTarget | undefined {
    return this.#target
  }

  /**
   * Changes the desired state now, then writes the tags; resolves once AWS has them (or the
   * writer gave up on a permanent error: the next `observe` tries again). False when the table
   * refuses the change, which is then logged and dropped.
   */
  async transition(to: TagState, detail: { readonly reason?: string; readonly readyAt?: number; readonly restore?: boolean } = {}): Promise<boolean> {
    const from = this.#desired.state
    if (!allowed(from, to, detail.restore === true ? { restore: true } : {})) {
      this.#options.logger.debug({ state: from, refused: to }, `lifecycle stays ${from}: ${to} does not follow it`)
      return false
    }
    const readyAt = this.#desired.readyAt ?? detail.readyAt
    const reason = to === 'failed' || to === 'degraded' ? this.#reason(detail.reason ?? this.#desired.reason ?? to) : undefined
    const revision = this.#desired.revision
    const next: DesiredLifecycle = { state: to, ...(revision === undefined ? {} : { revision }), ...(readyAt === undefined ? {} : { readyAt }), ...(reason === undefined ? {} : { reason }) }
    if (next.state === this.#desired.state && next.reason === this.#desired.reason && next.readyAt === this.#desired.readyAt) return true
    if (this.#desired.reason !== undefined && reason === undefined) this.#removeReason = true
    this.#desired = next
    this.#options.onChange?.(next)
    await this.#sync()
    return true
  }

  /** Writes the desired tags again (first boot: `booting` and the revision). */
  write(): Promise<void> {
    return this.#sync()
  }

  /**
   * The tags AWS shows now (IMDS, or the group's view): anything that contradicts the desired
   * state is written again. Nothing is compared while a write is in flight.
   */
  async observe(observed: Readonly<Record<string, string>>): Promise<void> {
    if (this.#writing !== undefined) return
    const { stale, removeReason } = tagDrift(this.#desired, observed)
    if (stale.length === 0 && !removeReason) return
    this.#options.logger.warn({ state: this.#desired.state, stale, removeReason }, 'the instance tags do not say what this agent wrote; writing them again')
    if (removeReason) this.#removeReason = true
    await this.#sync()
  }

  #reason(text: string): string {
    return oneLine(text, { secrets: this.#options.secrets?.() ?? [] })
  }

  #sync(): Promise<void> {
    this.#dirty = true
    this.#writing ??= this.#writeLoop().finally(() => {
      this.#writing = undefined
    })
    return this.#writing
  }

  async #writeLoop(): Promise<void> {
    const { fleet, instanceId } = this.#options
    while (this.#dirty) {
      try {
        // Each try writes the newest desired state: a change made while a throttle is waited out
        // is not written after a stale one.
        await persist(
          'the instance tags',
          () => {
            this.#dirty = false
            return fleet.tagInstance(instanceId, desiredTags(this.#desired))
          },
          this.#persistOptions(3),
        )
        if (this.#removeReason && this.#desired.reason === undefined) {
          await persist(`removing tag ${TAG_REASON}`, () => fleet.untagInstance(instanceId, [TAG_REASON]), this.#persistOptions(3))
          this.#removeReason = false
        }
      } catch (error) {
        // Only a permanent answer (AccessDenied) gets here; the next check's observe() retries.
        this.#dirty = false
        this.#options.logger.error({ reason: message(error), tags: desiredTags(this.#desired) }, 'could not tag the instance; the next check tries again')
      }
    }
  }

  #persistOptions(attempts: number) {
    const { scheduler, logger, random } = this.#options
    // Throttles and timeouts never use up a try: an unwritten tag is waited out, not dropped.
    return { scheduler, logger, random, attempts, retryableCounts: false }
  }

  /**
   * Answers every hook of the transition; true when at least one was completed. A throttled
   * API is waited out; "no active lifecycle action" will not change by waiting.
   */
  async complete(transition: LifecycleTransition, result: 'CONTINUE' | 'ABANDON'): Promise<boolean> {
    const target = this.#target
    if (target === undefined) return false
    this.#heartbeats.get(transition)?.cancel()
    this.#heartbeats.delete(transition)
    const { fleet, instanceId, logger } = this.#options
    let completed = false
    for (const hook of target.hooks[transition]) {
      try {
        await persist(`CompleteLifecycleAction ${hook}`, () => fleet.completeLifecycleAction(target.group, hook, instanceId, result), this.#persistOptions(2))
        logger.info({ hook, result }, `lifecycle hook completed with ${result}`)
        completed = true
      } catch (error) {
        logger.warn({ hook, result, reason: message(error) }, 'could not complete the lifecycle hook')
      }
    }
    this.#completed.add(transition)
    return completed
  }

  /**
   * Heartbeats the transition's hooks until it is completed, at a third of their shortest
   * heartbeat timeout (jittered, at least 10 s apart), so a boot or a drain longer than the
   * timeout does not get the hook's default result.
   */
  heartbeat(transition: LifecycleTransition, options: { readonly everyMs?: number } = {}): void {
    const target = this.#target
    if (target === undefined || this.#heartbeats.has(transition) || this.#completed.has(transition) || target.hooks[transition].length === 0) return
    const { fleet, instanceId, logger, scheduler } = this.#options
    const every = options.everyMs ?? heartbeatEveryMs(target, transition)
    this.#heartbeats.set(
      transition,
      scheduler.every(
        every,
        () => {
          for (const hook of this.#target?.hooks[transition] ?? []) {
            fleet.recordHeartbeat(target.group, hook, instanceId).catch((error: unknown) => logger.warn({ hook, reason: message(error) }, 'could not heartbeat the lifecycle hook'))
          }
        },
        { jitter: 0.1 },
      ),
    )
  }

  /** Sets the instance Unhealthy, once; retried until AWS answers. */
  setUnhealthy(reason: string): Promise<void> {
    this.#unhealthy ??= (async () => {
      const { fleet, instanceId, logger } = this.#options
      logger.error({ decision: 'unhealthy', reason: this.#reason(reason) }, 'setting this instance Unhealthy so the group replaces it')
      await persist('SetInstanceHealth Unhealthy', () => fleet.setUnhealthy(instanceId), this.#persistOptions(10)).catch((error: unknown) =>
        logger.error({ reason: message(error) }, 'could not set the instance Unhealthy'),
      )
    })()
    return this.#unhealthy
  }

  get markedUnhealthy(): boolean {
    return this.#unhealthy !== undefined
  }

  /** TerminateInstanceInAutoScalingGroup on itself, without decrementing: the group launches a replacement. */
  async terminate(): Promise<void> {
    const { fleet, instanceId } = this.#options
    await fleet.terminate(instanceId)
  }

  /** Stops every heartbeat (the agent is leaving, or exiting). */
  close(): void {
    for (const timer of this.#heartbeats.values()) timer.cancel()
    this.#heartbeats.clear()
  }
}

/**
 * How often to heartbeat a transition's hooks: a third of the shortest heartbeat timeout, so two
 * may be lost, and never more often than every 10 s. A fleet booting or scaling in by hundreds
 * shares one Auto Scaling bucket; a hook that gives an hour does not need a call every 10 s.
 */
export function heartbeatEveryMs(target: Pick<HookTarget, 'hooks' | 'heartbeatTimeouts'> | undefined, transition: LifecycleTransition = 'terminating'): number {
  const timeouts = (target?.hooks[transition] ?? []).flatMap((hook) => {
    const seconds = target?.heartbeatTimeouts?.[hook]
    return seconds === undefined ? [] : [seconds]
  })
  if (timeouts.length === 0) return 10_000
  return Math.max(10_000, (Math.min(...timeouts) * 1000) / 3)
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
