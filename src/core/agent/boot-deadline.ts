import { formatDuration } from '../manifest/index.js'
import { DeckhandError } from '../errors.js'
import type { Cancellable, Clock, Scheduler } from '../../ports/clock.js'

/** Until the manifest says otherwise (SPEC §3's default bootDeadline). */
export const DEFAULT_BOOT_DEADLINE_MS = 10 * 60_000

/**
 * `rollout.bootDeadline`, counted from the start of the first agent on the instance, across
 * everything a boot waits for: IMDS, the group, SSM, the Docker engine, volumes, pulls, health.
 * Before the manifest is read the default applies; `set` moves it once the manifest is known.
 */
export class BootDeadline {
  readonly #controller = new AbortController()
  readonly #scheduler: Scheduler
  readonly #clock: Clock
  #startedAt: number
  #ms: number
  #timer: Cancellable | undefined

  constructor(options: { scheduler: Scheduler; clock: Clock; startedAt: number; ms?: number }) {
    this.#scheduler = options.scheduler
    this.#clock = options.clock
    this.#startedAt = options.startedAt
    this.#ms = options.ms ?? DEFAULT_BOOT_DEADLINE_MS
    this.#arm()
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Epoch ms the deadline counts from. */
  get startedAt(): number {
    return this.#startedAt
  }

  get ms(): number {
    return this.#ms
  }

  /** What is left of it, at least 0. */
  remainingMs(): number {
    return Math.max(0, this.#startedAt + this.#ms - this.#clock.now())
  }

  set(options: { startedAt?: number; ms: number }): void {
    this.#startedAt = options.startedAt ?? this.#startedAt
    this.#ms = options.ms
    this.#arm()
  }

  cancel(): void {
    this.#timer?.cancel()
  }

  #arm(): void {
    this.#timer?.cancel()
    if (this.#controller.signal.aborted) return
    this.#timer = this.#scheduler.after(this.remainingMs(), () =>
      this.#controller.abort(new DeckhandError('BOOT_DEADLINE', `The instance was not ready within the boot deadline of ${formatDuration(this.#ms)}.`)),
    )
  }
}
