import type { PortSpec } from '../core/manifest/index.js'

/**
 * The container engine, in deckhand's words. The Docker adapter translates to and from the
 * Engine API at its edge; the supervisor and the tests' in-memory runtime see only this.
 * Every call takes an AbortSignal; the adapter also puts its own timeout on each.
 */

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead'

/** Docker's own view of a container's HEALTHCHECK; `none` when it has none. */
export type EngineHealth = 'none' | 'starting' | 'healthy' | 'unhealthy'

export interface ContainerState {
  readonly id: string
  /** Without Docker's leading slash. */
  readonly name: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  readonly status: ContainerStatus
  readonly engineHealth: EngineHealth
  /** Consecutive failed HEALTHCHECK runs, as Docker counts them. */
  readonly failingStreak: number
  /** Epoch ms; undefined when never started. */
  readonly startedAt?: number
  readonly finishedAt?: number
  readonly exitCode?: number
  readonly oomKilled: boolean
  /** The container's address on a bridge network, for health probes. */
  readonly ipAddress?: string
  /** Host PID of the main process while running. */
  readonly pid?: number
}

export interface BindMount {
  readonly source: string
  readonly target: string
  readonly readOnly: boolean
}

export interface TmpfsMount {
  readonly target: string
  readonly sizeBytes?: number
}

/** A container to create, as a plain value: built by the core, carried out by an adapter. */
export interface ContainerConfig {
  readonly name: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  readonly command?: readonly string[]
  readonly entrypoint?: readonly string[]
  readonly user?: string
  readonly workingDir?: string
  readonly env: Readonly<Record<string, string>>
  readonly network: 'host' | 'bridge' | 'none'
  readonly ports: readonly PortSpec[]
  readonly binds: readonly BindMount[]
  readonly tmpfs: readonly TmpfsMount[]
  readonly nanoCpus?: number
  readonly memoryBytes?: number
  /** Only `cmd` checks run inside the container; http and tcp are probed by the agent. */
  readonly healthcheck?: {
    readonly test: readonly string[]
    readonly intervalMs: number
    readonly timeoutMs: number
    readonly retries: number
    readonly startPeriodMs: number
  }
  readonly stopTimeoutMs: number
  readonly logging: { readonly driver: string; readonly options: Readonly<Record<string, string>> }
  readonly privileged: boolean
  readonly pid?: 'host'
  readonly ipc?: 'host'
}

export interface RuntimeEvent {
  readonly containerId: string
  /** Docker's action: start, die, kill, oom, destroy, health_status: healthy, ... */
  readonly action: string
  readonly name?: string
  /** When it happened, epoch ms (the engine's clock, the host's). */
  readonly at?: number
  /** With `die`: the main process's exit code. */
  readonly exitCode?: number
}

export interface ContainerRuntime {
  /** Throws DeckhandError DOCKER_UNREACHABLE (retryable) when the engine does not answer. */
  ping(signal?: AbortSignal): Promise<void>
  hasImage(image: string, signal?: AbortSignal): Promise<boolean>
  /** Throws IMAGE_NOT_FOUND (not retryable) or IMAGE_PULL_FAILED (retryable). */
  pull(image: string, signal?: AbortSignal): Promise<void>
  /** Containers in any state whose labels include every given label. */
  list(labels: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<ContainerState[]>
  /** undefined when no such container exists. */
  inspect(idOrName: string, signal?: AbortSignal): Promise<ContainerState | undefined>
  /** Returns the new id. Throws NAME_CLASH when the name is taken. */
  create(config: ContainerConfig, signal?: AbortSignal): Promise<string>
  start(id: string, signal?: AbortSignal): Promise<void>
  /** SIGTERM, then SIGKILL after timeoutMs. A container already stopped is not an error. */
  stop(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void>
  /** Removes a stopped container (forcing if needed), never its named volumes. Gone already is not an error. */
  remove(id: string, signal?: AbortSignal): Promise<void>
  /** Events of containers carrying these labels, until the stream closes (daemon restart) or the signal aborts. */
  events(labels: Readonly<Record<string, string>>, signal: AbortSignal): AsyncIterable<RuntimeEvent>
}
