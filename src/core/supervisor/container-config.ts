import type { ContainerSpec, HostCapacity, MountSpec } from '../manifest/index.js'
import { resolveResources } from '../manifest/index.js'
import type { BindMount, ContainerConfig, TmpfsMount } from '../../ports/container-runtime.js'
import type { PreparedVolume } from '../../ports/volumes.js'

/** The Docker labels of SPEC §6. An agent touches only containers labelled with its instance. */
export const LABELS = {
  instance: 'deckhand.instance',
  service: 'deckhand.service',
  revision: 'deckhand.revision',
  container: 'deckhand.container',
} as const

export interface Identity {
  readonly instanceId: string
  readonly service: string
}

/** One name per instance and container, so several agents can share an engine (tests, local fleets). */
export function containerName(identity: Identity, container: string): string {
  return `${identity.service}-${container}-${identity.instanceId}`.replace(/[^a-zA-Z0-9_.-]/g, '-')
}

/**
 * The labels that select what this agent owns. The service narrows SPEC §6's instance label so
 * that two `deckhand up` runs of different services on one laptop (both instance "local")
 * never touch each other's containers.
 */
export function ownerLabels(identity: Identity): Record<string, string> {
  return { [LABELS.instance]: identity.instanceId, [LABELS.service]: identity.service }
}

export interface ConfigContext {
  readonly identity: Identity
  readonly revision: string
  readonly host: HostCapacity
  readonly volumes: ReadonlyMap<string, PreparedVolume>
  /** Environment with `{ ssm }` references already replaced by their values. */
  readonly env: Readonly<Record<string, string>>
}

/** Builds the create call for one container: a value, compared in tests without an engine. */
export function containerConfig(spec: ContainerSpec, context: ConfigContext): ContainerConfig {
  const binds: BindMount[] = []
  const tmpfs: TmpfsMount[] = []
  for (const mount of spec.mounts) placeMount(mount, context.volumes, binds, tmpfs)
  const resources = resolveResources(spec.resources, context.host)
  const check = spec.health?.check
  return {
    name: containerName(context.identity, spec.name),
    image: spec.image,
    labels: {
      [LABELS.instance]: context.identity.instanceId,
      [LABELS.service]: context.identity.service,
      [LABELS.revision]: context.revision,
      [LABELS.container]: spec.name,
    },
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.entrypoint ? { entrypoint: spec.entrypoint } : {}),
    ...(spec.user ? { user: spec.user } : {}),
    ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
    env: context.env,
    network: spec.network,
    ports: spec.ports,
    binds,
    tmpfs,
    ...(resources.nanoCpus === undefined ? {} : { nanoCpus: resources.nanoCpus }),
    ...(resources.memoryBytes === undefined ? {} : { memoryBytes: resources.memoryBytes }),
    ...(check?.kind === 'cmd' && spec.health
      ? {
          healthcheck: {
            test: ['CMD', ...check.command],
            intervalMs: spec.health.intervalMs,
            timeoutMs: spec.health.timeoutMs,
            retries: spec.health.retries,
            startPeriodMs: spec.health.startPeriodMs,
          },
        }
      : {}),
    stopTimeoutMs: spec.stopTimeoutMs,
    logging: spec.logging,
    privileged: spec.privileged,
    ...(spec.pid ? { pid: spec.pid } : {}),
    ...(spec.ipc ? { ipc: spec.ipc } : {}),
  }
}

function placeMount(mount: MountSpec, volumes: ReadonlyMap<string, PreparedVolume>, binds: BindMount[], tmpfs: TmpfsMount[]): void {
  if (mount.source.kind === 'host') {
    binds.push({ source: mount.source.path, target: mount.target, readOnly: mount.readOnly })
    return
  }
  const prepared = volumes.get(mount.source.name)
  if (!prepared) throw new Error(`volume ${mount.source.name} was not prepared`)
  if (prepared.kind === 'bind') binds.push({ source: prepared.path, target: mount.target, readOnly: mount.readOnly })
  else tmpfs.push({ target: mount.target, ...(prepared.sizeBytes === undefined ? {} : { sizeBytes: prepared.sizeBytes }) })
}
