import type { DesiredState, HostCapacity, VolumeSpec } from '../manifest/index.js'
import { formatDuration } from '../manifest/index.js'
import { DeckhandError } from '../errors.js'
import type { Clock, Scheduler } from '../../ports/clock.js'
import type { ContainerConfig, ContainerRuntime } from '../../ports/container-runtime.js'
import type { HealthProbe } from '../../ports/health-probe.js'
import type { ImageFetcher } from '../../ports/image-fetcher.js'
import type { Logger } from '../../ports/logger.js'
import type { Metrics } from '../../ports/metrics.js'
import type { ParameterSource, ParameterValue } from '../../ports/parameters.js'
import type { StatusStore } from '../../ports/status-store.js'
import type { PreparedVolume, VolumeProvider } from '../../ports/volumes.js'
import { containerConfig, type Identity } from '../supervisor/container-config.js'
import { Supervisor } from '../supervisor/supervisor.js'

export interface BootDependencies {
  readonly identity: Identity
  readonly desired: DesiredState
  readonly host: HostCapacity
  readonly runtime: ContainerRuntime
  readonly images: ImageFetcher
  readonly volumes: VolumeProvider
  readonly parameters: ParameterSource
  /** Values already read while computing the revision (the agent reads them once). */
  readonly parameterValues?: ReadonlyMap<string, ParameterValue>
  readonly probe: HealthProbe
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly status?: StatusStore
  /** Boot duration, and everything the supervisor counts. */
  readonly metrics?: Metrics
  readonly signal?: AbortSignal
}

/**
 * SPEC §1 steps 3-6 on any runtime: volumes, secrets, images, then the supervisor, with the
 * boot deadline. The caller has made sure of the engine (`up` fails at once without one, the agent
 * waits for it). Throws a DeckhandError a person can act on when the boot cannot even begin
 * (image missing, parameter missing, the deadline passed); a set that starts but does not get
 * healthy in time ends in the supervisor's `failed` state instead, naming what is unhealthy.
 */
export async function boot(deps: BootDependencies): Promise<Supervisor> {
  const { desired, logger } = deps
  const log = logger.child({ revision: desired.revision })
  const bootStarted = deps.clock.now()
  // The deadline covers the volumes and the pulls too: a registry that hangs fails the boot in
  // time instead of leaving the instance booting for as long as the pulls keep retrying.
  const early = new AbortController()
  const onAbort = (): void => early.abort(deps.signal?.reason)
  deps.signal?.addEventListener('abort', onAbort, { once: true })
  if (deps.signal?.aborted === true) onAbort()
  const earlyDeadline = deps.scheduler.after(desired.rollout.bootDeadlineMs, () => {
    // Name the first image still missing and its last failure: that is what a person must fix.
    const [missing] = deps.images.outstanding?.() ?? []
    const which = missing === undefined ? '' : ` (image ${missing.image} not pulled${missing.reason === undefined ? '' : `: ${missing.reason.replace(/\.$/, '')}`})`
    early.abort(
      new DeckhandError(
        'BOOT_DEADLINE',
        `The images and volumes were not ready within the boot deadline of ${formatDuration(desired.rollout.bootDeadlineMs)}${which}; check the registry and the instance's network, or raise rollout.bootDeadline.`,
      ),
    )
  })
  let configs: Map<string, ContainerConfig>
  try {
    configs = await prepare(deps, early.signal, log)
  } catch (error) {
    throw early.signal.aborted && deps.signal?.aborted !== true ? early.signal.reason : error
  } finally {
    earlyDeadline.cancel()
    deps.signal?.removeEventListener('abort', onAbort)
  }

  const supervisor = new Supervisor({
    identity: deps.identity,
    desired,
    configs,
    runtime: deps.runtime,
    probe: deps.probe,
    clock: deps.clock,
    scheduler: deps.scheduler,
    logger: deps.logger,
    images: deps.images,
    ...(deps.status ? { status: deps.status } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  })
  // The deadline counts from the start of the boot: pulls and volumes use it up too.
  const deadline = deps.scheduler.after(desired.rollout.bootDeadlineMs - (deps.clock.now() - bootStarted), () => {
    if (supervisor.instanceState === 'ready' || supervisor.instanceState === 'degraded') return
    supervisor.fail(`The containers did not all become healthy within the boot deadline of ${formatDuration(desired.rollout.bootDeadlineMs)}: ${supervisor.unhealthyReport() ?? 'unknown'}.`)
  })
  let booted = false
  supervisor.onStateChange((state) => {
    if (state === 'ready') deadline.cancel()
    if (booted || (state !== 'ready' && state !== 'failed')) return
    booted = true
    deps.metrics?.booted(deps.clock.now() - bootStarted, state)
  })
  await supervisor.start()
  return supervisor
}

/** Everything before the first container: volumes, secrets, images. */
async function prepare(deps: BootDependencies, signal: AbortSignal, log: Logger): Promise<Map<string, ContainerConfig>> {
  const { desired } = deps

  const volumes = new Map<string, PreparedVolume>()
  for (const [name, spec] of usedVolumes(desired)) volumes.set(name, await deps.volumes.prepare(name, spec, signal))

  const values = deps.parameterValues ?? (await deps.parameters.read(desired.parameters, signal))
  const configs = new Map<string, ContainerConfig>()
  for (const spec of desired.containers) {
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(spec.env)) {
      if (typeof value === 'string') {
        env[key] = value
        continue
      }
      const found = values.get(value.ssm)
      if (!found) throw new DeckhandError('PARAMETER_UNAVAILABLE', `SSM parameter ${value.ssm} (containers.${spec.name}.env.${key}) does not exist; create it or fix the name.`)
      env[key] = found.value
    }
    configs.set(spec.name, containerConfig(spec, { identity: deps.identity, revision: desired.revision, host: deps.host, volumes, env }))
  }

  log.info({ images: desired.containers.map((c) => c.image) }, 'pulling images')
  await deps.images.ensure(desired.containers.map((c) => c.image), signal)
  return configs
}

function usedVolumes(desired: DesiredState): Map<string, VolumeSpec> {
  const used = new Map<string, VolumeSpec>()
  for (const c of desired.containers) {
    for (const m of c.mounts) {
      if (m.source.kind !== 'volume') continue
      const spec = desired.volumes[m.source.name]
      if (spec) used.set(m.source.name, spec)
    }
  }
  return used
}
