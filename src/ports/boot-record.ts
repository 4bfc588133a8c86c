import type { VersionedValue } from './config-store.js'

/**
 * What an instance booted with, kept so that an agent restarted on the same instance (a crash,
 * systemd) runs the same revision instead of whatever SSM says now: an instance never changes
 * what it runs; it is replaced.
 */
export interface BootRecord {
  readonly instanceId: string
  readonly group: string
  readonly service: string
  readonly manifest: VersionedValue
  readonly release?: VersionedValue
  /** Versions of the `{ ssm }` parameters at boot; their values are read again at those versions. */
  readonly parameterVersions: Readonly<Record<string, number>>
  /**
   * When the instance first became ready (epoch ms). An agent restarted after that keeps the
   * instance's `ready` and `deckhand:ready-at` tags: it does not go back to `booting`, restart the
   * warm-up, or count as a not-ready instance the rollout gate may let go for free.
   */
  readonly readyAt?: number
  /** When the first agent on this instance started (epoch ms): the boot deadline counts from it, across agent restarts. */
  readonly bootStartedAt?: number
  /** The launch lifecycle hook was answered: a restarted agent that finds it unanswered answers it. */
  readonly launchCompleted?: boolean
  /** A drain began (epoch ms, why). A restarted agent finishes it, or puts the instance back when no termination is under way. */
  readonly drain?: { readonly at: number; readonly reason: string }
}

export interface BootRecordStore {
  /** undefined when there is none (a first boot); throws STATE_DIR when one exists but cannot be read. */
  read(): Promise<BootRecord | undefined>
  /** Durable when it resolves (written atomically and synced); throws STATE_DIR when it cannot be. */
  write(record: BootRecord): Promise<void>
}
