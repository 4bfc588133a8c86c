/**
 * Is this instance being terminated? IMDS says so for free (`autoscaling/target-lifecycle-state`
 * becomes `Terminated`; `spot/instance-action` appears two minutes before a spot reclaim), and is
 * polled every few seconds. IMDS answers 404 until the instance's first transition and,
 * reportedly, for a while after a host live migration, so once the instance has served, the Auto
 * Scaling API is asked too, at a pace the group's size allows.
 */
import type { Cancellable, Scheduler } from '../../ports/clock.js'
import type { Fleet } from '../../ports/fleet.js'
import type { InstanceMetadata } from '../../ports/instance-metadata.js'

export interface TerminationNotice {
  readonly reason: string
  /** A spot interruption: when AWS reclaims the instance (epoch ms). */
  readonly reclaimAt?: number
}

/** Auto Scaling calls per second the fallback question may spend across the group. */
export const TERMINATION_FALLBACK_TPS = 2

export interface TerminationWatchOptions {
  readonly metadata: InstanceMetadata
  readonly fleet: Fleet
  readonly instanceId: string
  readonly scheduler: Scheduler
  readonly random: () => number
  /** IMDS poll period. Default 5 s (AWS's advice for spot). */
  readonly everyMs?: number
  /** The group's size, for the pace of the Auto Scaling fallback. */
  readonly fleetSize: () => number
  /** Whether the fallback applies yet (the instance has served, so IMDS should answer). */
  readonly askGroup: () => boolean
  readonly onTermination: (notice: TerminationNotice) => void
}

export class TerminationWatch {
  readonly #options: TerminationWatchOptions
  #timer: Cancellable | undefined
  #nextGroupAsk = 0
  #elapsed = 0
  #polling = false

  constructor(options: TerminationWatchOptions) {
    this.#options = options
  }

  start(): void {
    const every = this.#options.everyMs ?? 5_000
    this.#nextGroupAsk = this.#fallbackMs()
    this.#timer = this.#options.scheduler.every(
      every,
      () => {
        this.#elapsed += every
        void this.#poll()
      },
      { jitter: 0.1 },
    )
  }

  stop(): void {
    this.#timer?.cancel()
  }

  /**
   * One look now, for a SIGTERM or a restarted agent: the notice when a termination is under
   * way, null when none is. Throws when neither IMDS nor the group answered: the caller cannot
   * tell, and must not guess.
   */
  async underWay(signal?: AbortSignal): Promise<TerminationNotice | null> {
    const { metadata, fleet, instanceId } = this.#options
    let answered = false
    try {
      const target = await metadata.targetLifecycleState(signal)
      answered = true
      if (target === 'Terminated') return { reason: 'the group is terminating this instance (target lifecycle state Terminated)' }
      const spot = await metadata.spotInterruption(signal)
      if (spot) return spotNotice(spot)
    } catch {
      // IMDS did not answer: ask the group.
    }
    try {
      const state = await fleet.lifecycleState(instanceId, signal)
      if (state?.startsWith('Terminating') === true) return { reason: `the group is terminating this instance (${state})` }
      return null
    } catch (error) {
      if (answered) return null
      throw error
    }
  }

  /** The pace of the Auto Scaling fallback: the group's share of TERMINATION_FALLBACK_TPS, never under a minute. */
  #fallbackMs(): number {
    const seconds = Math.max(60, this.#options.fleetSize() / TERMINATION_FALLBACK_TPS)
    return seconds * 1000 * (0.9 + 0.2 * this.#options.random())
  }

  async #poll(): Promise<void> {
    if (this.#polling) return
    this.#polling = true
    try {
      const { metadata, fleet, instanceId, onTermination } = this.#options
      const target = await metadata.targetLifecycleState().catch(() => null)
      if (target === 'Terminated') return onTermination({ reason: 'the group is terminating this instance (target lifecycle state Terminated)' })
      const spot = await metadata.spotInterruption().catch(() => undefined)
      if (spot) return onTermination(spotNotice(spot))
      // IMDS said nothing (404) or did not answer (null): either way the group is asked now and then.
      if ((target !== undefined && target !== null) || !this.#options.askGroup() || this.#elapsed < this.#nextGroupAsk) return
      this.#nextGroupAsk = this.#elapsed + this.#fallbackMs()
      const state = await fleet.lifecycleState(instanceId).catch(() => undefined)
      if (state?.startsWith('Terminating') === true) onTermination({ reason: `the group is terminating this instance (${state})` })
    } finally {
      this.#polling = false
    }
  }
}

function spotNotice(spot: { readonly action: string; readonly time: number }): TerminationNotice {
  return { reason: `spot interruption notice: ${spot.action} at ${new Date(spot.time).toISOString()}`, reclaimAt: spot.time }
}
