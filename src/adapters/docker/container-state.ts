import type { ContainerState, ContainerStatus, EngineHealth, RuntimeEvent } from '../../ports/container-runtime.js'

/** The fields of `GET /containers/{id}/json` that deckhand reads. */
export interface EngineContainer {
  readonly Id: string
  readonly Name: string
  readonly Config?: { readonly Image?: string; readonly Labels?: Record<string, string> | null }
  readonly State: {
    readonly Status: string
    readonly Pid?: number
    readonly ExitCode?: number
    readonly OOMKilled?: boolean
    readonly StartedAt?: string
    readonly FinishedAt?: string
    readonly Health?: { readonly Status?: string; readonly FailingStreak?: number } | null
  }
  readonly NetworkSettings?: {
    readonly IPAddress?: string
    readonly Networks?: Record<string, { readonly IPAddress?: string } | null> | null
  } | null
}

const STATUSES: ReadonlySet<string> = new Set<ContainerStatus>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'])
const HEALTHS: ReadonlySet<string> = new Set<EngineHealth>(['none', 'starting', 'healthy', 'unhealthy'])

export function toContainerState(info: EngineContainer): ContainerState {
  const status = (STATUSES.has(info.State.Status) ? info.State.Status : 'dead') as ContainerStatus
  const health = info.State.Health?.Status ?? 'none'
  const startedAt = engineTime(info.State.StartedAt)
  // After a restart in place Docker keeps the previous run's FinishedAt; it belongs to this run
  // only when it is not before the start.
  const finished = engineTime(info.State.FinishedAt)
  const finishedAt = finished !== undefined && (startedAt === undefined || finished >= startedAt) ? finished : undefined
  const stopped = status === 'exited' || status === 'dead'
  const ipAddress = bridgeAddress(info.NetworkSettings)
  const pid = info.State.Pid
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config?.Image ?? '',
    labels: { ...(info.Config?.Labels ?? {}) },
    status,
    engineHealth: (HEALTHS.has(health) ? health : 'none') as EngineHealth,
    failingStreak: info.State.Health?.FailingStreak ?? 0,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(finishedAt === undefined ? {} : { finishedAt }),
    ...(stopped && info.State.ExitCode !== undefined ? { exitCode: info.State.ExitCode } : {}),
    oomKilled: info.State.OOMKilled ?? false,
    ...(ipAddress === undefined ? {} : { ipAddress }),
    ...(status === 'running' && pid !== undefined && pid > 0 ? { pid } : {}),
  }
}

/** Epoch ms, or undefined for Docker's zero time (`0001-01-01T00:00:00Z`, never happened). */
export function engineTime(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value.startsWith('0001-01-01')) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

function bridgeAddress(settings: EngineContainer['NetworkSettings']): string | undefined {
  if (settings === undefined || settings === null) return undefined
  const networks = settings.Networks ?? {}
  const candidates = [networks['bridge']?.IPAddress, settings.IPAddress, ...Object.values(networks).map((network) => network?.IPAddress)]
  return candidates.find((address): address is string => typeof address === 'string' && address !== '')
}

/**
 * The lifecycle actions deckhand reacts to. Every run of a `cmd` health check is an exec, with
 * exec_create/exec_start/exec_die events; asking the engine for these actions only keeps that
 * noise off the stream. `health_status` matches `health_status: healthy` and the like.
 */
export const WATCHED_ACTIONS: readonly string[] = [
  'create', 'start', 'restart', 'die', 'kill', 'oom', 'stop', 'pause', 'unpause', 'rename', 'destroy', 'health_status',
]

/** One line of `GET /events`, or undefined when it is not about a container. */
export function toRuntimeEvent(message: unknown): RuntimeEvent | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const event = message as {
    Type?: unknown
    Action?: unknown
    status?: unknown
    id?: unknown
    time?: unknown
    timeNano?: unknown
    Actor?: { ID?: unknown; Attributes?: Record<string, unknown> | null }
  }
  if (event.Type !== undefined && event.Type !== 'container') return undefined
  const action = typeof event.Action === 'string' ? event.Action : event.status
  const containerId = typeof event.Actor?.ID === 'string' ? event.Actor.ID : event.id
  if (typeof action !== 'string' || typeof containerId !== 'string') return undefined
  const name = event.Actor?.Attributes?.['name']
  const exitCode = Number(event.Actor?.Attributes?.['exitCode'] ?? Number.NaN)
  const at = typeof event.timeNano === 'number' ? Math.floor(event.timeNano / 1e6) : typeof event.time === 'number' ? event.time * 1000 : undefined
  return {
    containerId,
    action,
    ...(typeof name === 'string' ? { name } : {}),
    ...(at === undefined ? {} : { at }),
    ...(action === 'die' && Number.isInteger(exitCode) ? { exitCode } : {}),
  }
}
