import type { Quantity } from './quantities.js'

/** What the manifest means, once parsed: frozen, typed, defaults applied. */

export type EnvValue = string | { readonly ssm: string }

export type HealthCheck =
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'tcp'; readonly port: number }
  | { readonly kind: 'cmd'; readonly command: readonly string[] }

export interface HealthSpec {
  readonly check: HealthCheck
  readonly intervalMs: number
  readonly timeoutMs: number
  readonly retries: number
  readonly startPeriodMs: number
}

export type MountSource =
  | { readonly kind: 'volume'; readonly name: string }
  | { readonly kind: 'host'; readonly path: string }

export interface MountSpec {
  readonly source: MountSource
  readonly target: string
  readonly readOnly: boolean
}

export interface PortSpec {
  readonly hostIp?: string
  readonly hostPort: number
  readonly containerPort: number
  readonly protocol: 'tcp' | 'udp'
}

export interface LoggingSpec {
  readonly driver: string
  readonly options: Readonly<Record<string, string>>
}

export interface ContainerSpec {
  readonly name: string
  readonly image: string
  readonly command?: readonly string[]
  readonly entrypoint?: readonly string[]
  readonly user?: string
  readonly workingDir?: string
  readonly env: Readonly<Record<string, EnvValue>>
  readonly network: 'host' | 'bridge' | 'none'
  readonly ports: readonly PortSpec[]
  readonly mounts: readonly MountSpec[]
  readonly resources: { readonly cpu?: Quantity; readonly memory?: Quantity }
  readonly health?: HealthSpec
  readonly stopTimeoutMs: number
  readonly crashLoop: { readonly restarts: number; readonly withinMs: number }
  readonly logging: LoggingSpec
  readonly dependsOn: readonly string[]
  readonly privileged: boolean
  readonly pid?: 'host'
  readonly ipc?: 'host'
}

export type VolumeSpec =
  | { readonly kind: 'instance' }
  | { readonly kind: 'tmpfs'; readonly sizeBytes?: number }
  | {
      readonly kind: 'ebs'
      readonly sizeGiB: number
      readonly type: string
      readonly filesystem: 'ext4' | 'xfs'
      readonly iops?: number
      readonly throughput?: number
    }

export interface RolloutSpec {
  readonly maxUnavailable: number | { readonly percent: number }
  readonly bootDeadlineMs: number
  readonly drainDelayMs: number
  readonly warmupMs: number
}

export interface DesiredState {
  /** Short hash of the rendered manifest but its `rollout` section, and of the versions of the parameters it references. */
  readonly revision: string
  readonly version?: string
  /** Containers in start order: every container comes after all it depends on. */
  readonly containers: readonly ContainerSpec[]
  readonly volumes: Readonly<Record<string, VolumeSpec>>
  readonly rollout: RolloutSpec
  /** SSM parameter names referenced as `{ ssm: name }`, sorted. */
  readonly parameters: readonly string[]
}

export const DEFAULT_LOGGING: LoggingSpec = Object.freeze({
  driver: 'local',
  options: Object.freeze({ 'max-size': '20m', 'max-file': '5' }),
})
