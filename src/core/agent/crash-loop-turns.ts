/**
 * A crash loop on an instance that served (SPEC §1.7): the instance is `degraded`, and it asks on
 * a budgeted, jittered interval whether it may set itself Unhealthy (replacement-turn.ts), until
 * it may, or recovers, or leaves. While every container runs healthy again it does not go: the
 * loop only has to age out of its window.
 */
import type { RolloutSpec } from '../manifest/index.js'
import { driftIntervalBoundMs, viewDescribeCalls } from '../rollout/drift-interval.js'
import type { GroupView } from '../rollout/group-view.js'
import { replacementTurn } from '../rollout/replacement-turn.js'
import type { Cancellable, Scheduler } from '../../ports/clock.js'
import type { Fleet } from '../../ports/fleet.js'
import type { Logger } from '../../ports/logger.js'
import type { InstanceLifecycle } from './lifecycle.js'

/** Fewest milliseconds between two looks at the group. */
const MIN_TURN_INTERVAL_MS = 30_000

export interface CrashLoopTurnsOptions {
  readonly lifecycle: InstanceLifecycle
  readonly fleet: Fleet
  readonly group: string
  readonly instanceId: string
  readonly scheduler: Scheduler
  readonly random: () => number
  readonly logger: Logger
  /** The group's size as last read; updated from each view. */
  readonly groupSize: { size: number }
  rollout(): RolloutSpec
  /** Every container runs healthy now. */
  healthy(): boolean
  stopped(): boolean
  /** Runs work on the agent's one serial chain of lifecycle steps. */
  enqueue(work: () => Promise<void>): Promise<void>
}

export class CrashLoopTurns {
  readonly #o: CrashLoopTurnsOptions
  #timer: Cancellable | undefined
  /** The last look found this instance's turn: it goes only when the next look finds it again. */
  #eligible = false

  constructor(options: CrashLoopTurnsOptions) {
    this.#o = options
  }

  /** Asks now, then again on the interval while the instance stays degraded. */
  async start(): Promise<void> {
    if (this.#timer) return
    await this.#turn()
    if (this.#waiting()) this.#schedule()
  }

  cancel(): void {
    this.#timer?.cancel()
    this.#timer = undefined
    this.#eligible = false
  }

  #waiting(): boolean {
    const { lifecycle } = this.#o
    return lifecycle.state === 'degraded' && !lifecycle.markedUnhealthy && !this.#o.stopped()
  }

  #schedule(): void {
    const size = this.#o.groupSize.size
    const bound = driftIntervalBoundMs({ fleetSize: size, autoScalingCalls: 1, ec2Calls: viewDescribeCalls(size), minIntervalMs: MIN_TURN_INTERVAL_MS })
    this.#timer = this.#o.scheduler.after(bound * (1 + 0.2 * this.#o.random()), () => {
      void this.#o.enqueue(() => this.#turn()).finally(() => {
        if (this.#timer !== undefined && this.#waiting()) this.#schedule()
      })
    })
  }

  async #turn(): Promise<void> {
    const { lifecycle, logger: log } = this.#o
    if (!this.#waiting()) return this.cancel()
    if (this.#o.healthy()) {
      this.#eligible = false
      log.info({ decision: 'stay' }, 'crash loop: the containers are healthy again; not replacing this instance')
      return
    }
    let view: GroupView
    try {
      view = await this.#o.fleet.view(this.#o.group)
    } catch (error) {
      log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'could not read the group to see whether this crash-looping instance may be replaced; staying up')
      return
    }
    this.#o.groupSize.size = Math.max(1, view.desiredCapacity)
    const turn = replacementTurn(view, { instanceId: this.#o.instanceId }, this.#o.rollout())
    // Two looks a turn interval apart: at an outage's start every agent tags degraded and reads
    // the group at once, and a view read before an earlier-launched peer's tag landed would put
    // this one first too. By the second look every degraded tag of that moment is in the view.
    const go = turn.decision === 'replace' && this.#eligible
    this.#eligible = turn.decision === 'replace'
    log.info(
      { decision: go ? 'unhealthy' : 'stay', reason: turn.reason, out: turn.out, maxUnavailable: turn.maxUnavailable },
      `crash loop: ${go ? 'replacing this instance' : turn.decision === 'replace' ? 'its turn, if the next look agrees' : 'waiting for its turn'}`,
    )
    if (!go) return
    this.cancel()
    await lifecycle.setUnhealthy(lifecycle.desired.reason ?? 'crash loop')
  }
}
