import { basename, extname } from 'node:path'
import { boot } from '../core/boot/boot.js'
import { DeckhandError } from '../core/errors.js'
import { serviceNameProblem, type HostCapacity } from '../core/manifest/index.js'
import type { Supervisor } from '../core/supervisor/supervisor.js'
import type { Clock, Scheduler } from '../ports/clock.js'
import type { ContainerRuntime } from '../ports/container-runtime.js'
import type { HealthProbe } from '../ports/health-probe.js'
import type { ImageFetcher } from '../ports/image-fetcher.js'
import type { Logger } from '../ports/logger.js'
import type { Metrics } from '../ports/metrics.js'
import type { ParameterSource } from '../ports/parameters.js'
import type { StatusStore } from '../ports/status-store.js'
import type { VolumeProvider } from '../ports/volumes.js'
import { loadManifestFile } from './load-manifest.js'

export interface UpOptions {
  readonly file: string
  readonly version?: string
  readonly service?: string
  /** deckhand's state dir, which no unprivileged container may mount (default /var/lib/deckhand). */
  readonly stateDir?: string
}

/** What `up` runs on: built by main, faked in tests. */
export interface UpEnvironment {
  readonly logger: Logger
  readonly clock: Clock & Scheduler
  readonly host: HostCapacity
  readonly runtime: ContainerRuntime
  readonly images: ImageFetcher
  readonly probe: HealthProbe
  readonly parameters: ParameterSource
  readonly status: StatusStore
  volumes(service: string): VolumeProvider
  /** What the metrics endpoint serves; main starts and stops the endpoint itself. */
  readonly metrics?: Metrics
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
  readonly stopRequested: Promise<string>
}

/**
 * `deckhand up -f FILE`: the whole agent minus AWS, in the foreground, as instance "local".
 * Ctrl-C or SIGTERM drains (reverse order, each within stopTimeout) and exits 0. A boot that
 * fails (deadline passed, a name clash) drains what started and throws its sentence: exit 1.
 */
export async function up(options: UpOptions, env: UpEnvironment): Promise<number> {
  const service = options.service ?? serviceFromFile(options.file)
  // The name becomes a directory under the state dir, a container name and a label: check it first.
  const badService = serviceNameProblem(service, 'pass --service with such a name')
  if (badService !== undefined) throw new DeckhandError('ENVIRONMENT_INVALID', badService)
  const desired = await loadManifestFile(options.file, options.version, { host: env.host, ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }) })
  const identity = { instanceId: 'local', service }
  const log = env.logger.child({ service, revision: desired.revision })
  log.info({ containers: desired.containers.map((c) => c.name), version: desired.version }, 'deckhand up')

  const stop = new AbortController()
  let stopReason: string | undefined
  void env.stopRequested.then((reason) => {
    stopReason = reason
    stop.abort()
  })

  let supervisor: Supervisor
  try {
    // On a workstation an engine that is down is a mistake to name at once, not to wait for.
    await env.runtime.ping(stop.signal)
    supervisor = await boot({
      identity,
      desired,
      host: env.host,
      runtime: env.runtime,
      images: env.images,
      volumes: env.volumes(service),
      parameters: env.parameters,
      probe: env.probe,
      clock: env.clock,
      scheduler: env.clock,
      logger: env.logger,
      status: env.status,
      ...(env.metrics ? { metrics: env.metrics } : {}),
      signal: stop.signal,
    })
  } catch (error) {
    if (stopReason !== undefined) {
      log.info({ reason: stopReason }, 'stopped before the boot finished')
      return 0
    }
    throw error
  }

  const failure = new Promise<string>((resolve) => {
    const seen = (state: string, detail: string | undefined) => {
      if (state === 'ready') log.info({ state }, 'every container is healthy; Ctrl-C drains and stops them')
      if (state === 'failed') resolve(detail ?? 'the boot failed')
    }
    supervisor.onStateChange(seen)
    seen(supervisor.instanceState, supervisor.snapshot().detail)
  })
  const outcome = await Promise.race([env.stopRequested.then((reason) => ({ stop: reason })), failure.then((reason) => ({ failed: reason }))])
  log.info({ reason: 'stop' in outcome ? outcome.stop : 'boot failed' }, 'draining')
  await supervisor.drain()
  if ('failed' in outcome) throw new DeckhandError('BOOT_DEADLINE', outcome.failed)
  log.info({}, 'drained; every container is stopped')
  return 0
}

/** examples/web.yaml runs as service "web"; a name that would not be a valid service name becomes "local". */
export function serviceFromFile(file: string): string {
  const name = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+/, '').slice(0, 128)
  return name === '' ? 'local' : name
}
