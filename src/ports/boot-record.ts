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
}

export interface BootRecordStore {
  read(): Promise<BootRecord | undefined>
  write(record: BootRecord): Promise<void>
}
