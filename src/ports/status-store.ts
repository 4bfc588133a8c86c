import type { InstanceState } from '../core/instance-state.js'

export type { InstanceState } from '../core/instance-state.js'

export type ContainerHealth = 'unknown' | 'starting' | 'healthy' | 'unhealthy'

export interface ContainerStatusReport {
  readonly name: string
  readonly image: string
  readonly id?: string
  readonly phase: string
  readonly health: ContainerHealth
  readonly restarts: number
  /** Epoch ms of the current run's start. */
  readonly startedAt?: number
  readonly detail?: string
}

export interface StatusReport {
  readonly pid: number
  readonly instanceId: string
  readonly service: string
  readonly revision: string
  readonly state: InstanceState
  readonly since: number
  readonly updatedAt: number
  readonly detail?: string
  readonly containers: readonly ContainerStatusReport[]
}

export interface StatusStore {
  write(report: StatusReport): Promise<void>
  read(): Promise<StatusReport | undefined>
}
