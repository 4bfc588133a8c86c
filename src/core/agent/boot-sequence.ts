/**
 * What an agent must learn before it can run anything: who it is (IMDS), which group and service
 * (tags, Auto Scaling), what to run (SSM, or boot.json when an earlier agent on this instance
 * booted it) and the values of the parameters the manifest references. It returns a context with
 * nothing left unknown, or throws a BootFailure naming what is wrong in one sentence.
 *
 * A first boot is bounded by the boot deadline: a read that keeps failing for a reason waiting
 * can cure (a throttle, a timeout) is retried until the deadline, an answer that waiting cannot
 * change (AccessDenied, a parameter that does not exist) fails at once. An agent restarted on an
 * instance that was ready has no deadline: it retries until AWS answers, since uncertainty never
 * takes a serving instance down, and it never needs SSM for what the instance already runs.
 */
import { formatIssues, parseManifest, serviceNameProblem, withRevision, type DesiredState, type HostCapacity, type Manifest } from '../manifest/index.js'
import { DeckhandError, isDeckhandError } from '../errors.js'
import { persist, type PersistOptions } from '../persist.js'
import { containerName } from '../supervisor/container-config.js'
import type { BootRecord, BootRecordStore } from '../../ports/boot-record.js'
import type { Clock, Scheduler } from '../../ports/clock.js'
import { manifestParameter, type ConfigStore, type ServiceConfig } from '../../ports/config-store.js'
import type { ContainerRuntime } from '../../ports/container-runtime.js'
import type { Fleet, GroupInfo } from '../../ports/fleet.js'
import type { ImageFetcher } from '../../ports/image-fetcher.js'
import type { InstanceIdentity, InstanceMetadata } from '../../ports/instance-metadata.js'
import type { Logger } from '../../ports/logger.js'
import type { ParameterValue } from '../../ports/parameters.js'
import type { RunningEnv } from '../../ports/running-env.js'
import type { BootDeadline } from './boot-deadline.js'

/** What the agent needs once it knows its Region (the SDK clients and ECR need it). */
export interface Connected {
  readonly config: ConfigStore
  readonly fleet: Fleet
  readonly runtime: ContainerRuntime
  readonly images: ImageFetcher
}

export interface BootContext {
  readonly identity: InstanceIdentity
  readonly connected: Connected
  readonly group: string
  readonly info: GroupInfo
  readonly service: string
  readonly manifest: Manifest
  readonly desired: DesiredState
  /** The manifest and version parameters as this instance booted with them. */
  readonly config: ServiceConfig
  readonly values: ReadonlyMap<string, ParameterValue>
  /** Saved (first boot) or read (restart). */
  readonly record: BootRecord
  readonly restarted: boolean
}

export interface BootSequenceDependencies {
  readonly metadata: InstanceMetadata
  connect(identity: InstanceIdentity): Promise<Connected> | Connected
  readonly bootRecord: BootRecordStore
  readonly runningEnv?: RunningEnv
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly random: () => number
  /** The agent's state dir, which no unprivileged container may mount. Default /var/lib/deckhand. */
  readonly stateDir?: string
  /** The instance, so that a limit larger than it fails the boot with a sentence. */
  readonly host?: HostCapacity
}

/** Called as soon as each is known, so the agent can fail the instance properly from then on. */
export interface BootProgress {
  /** The group's name, before anything else of it is known. */
  named?(group: string): void
  identified(identity: InstanceIdentity, connected: Connected, record: BootRecord | undefined): void
  grouped(group: string, info: GroupInfo, record: BootRecord | undefined): void
}

/** The boot cannot go on; `message` is the sentence for the log and the `deckhand:reason` tag. */
export class BootFailure extends Error {
  override readonly name = 'BootFailure'
}

const GROUP_TAG = 'aws:autoscaling:groupName'
const SERVICE_TAG = 'deckhand:service'

export async function runBootSequence(deps: BootSequenceDependencies, deadline: BootDeadline, stop: AbortSignal, progress: BootProgress): Promise<BootContext> {
  const base: PersistOptions = { scheduler: deps.scheduler, logger: deps.logger, random: deps.random, signal: stop }
  // Nothing can be tagged or answered without knowing who we are: IMDS is waited for, always.
  const identity = await persist('the instance identity from IMDS', () => deps.metadata.identity(stop), base)
  const log = deps.logger.child({ instance: identity.instanceId })
  const connected = await deps.connect(identity)
  const { fleet, config } = connected

  let found: BootRecord | undefined
  try {
    found = await deps.bootRecord.read()
  } catch (error) {
    progress.identified(identity, connected, undefined)
    throw new BootFailure(messageOf(error))
  }
  const record = found?.instanceId === identity.instanceId ? found : undefined
  progress.identified(identity, connected, record)
  if (record) {
    log.info({ group: record.group, service: record.service, ready: record.readyAt !== undefined }, 'restarted on the same instance: running what it booted with')
    if (record.readyAt === undefined && record.bootStartedAt !== undefined) deadline.set({ startedAt: record.bootStartedAt, ms: deadline.ms })
  }
  // A serving instance has no deadline; a boot under way keeps the first agent's.
  const bounded = record?.readyAt === undefined
  const step = <T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> => bounded ? boundedStep(what, call, base, deadline, stop) : persist(what, () => call(stop), base)

  const group =
    record?.group ??
    (await step('the Auto Scaling group of this instance', async (signal) => {
      const name = (await deps.metadata.instanceTag(GROUP_TAG, signal)) ?? (await fleet.groupOf(identity.instanceId, signal))
      if (name === undefined) throw new DeckhandError('SERVICE_UNKNOWN', `Instance ${identity.instanceId} is in no Auto Scaling group; launch it from one (deckhand runs one service per group).`)
      return name
    }))
  progress.named?.(group)
  const info = await step(`the Auto Scaling group ${group}`, (signal) => fleet.group(group, signal))
  progress.grouped(group, info, record)
  if (info.warmPool === true && !record) {
    throw new BootFailure(`Auto Scaling group ${group} has a warm pool, which deckhand does not support (a warmed instance would boot and serve outside the rollout gate); delete the warm pool.`)
  }

  const service = record?.service ?? info.tags[SERVICE_TAG] ?? group
  // The service name is an Auto Scaling tag, and becomes paths, container names and labels.
  const nameProblem = serviceNameProblem(service)
  if (nameProblem !== undefined) throw new BootFailure(nameProblem)

  const loaded: ServiceConfig = record
    ? { manifest: record.manifest, ...(record.release ? { release: record.release } : {}) }
    : await step(`the config under /deckhand/${service}/ in SSM`, (signal) => config.load(service, signal))
  const parsed = parseManifest(loaded.manifest.value, { version: loaded.release?.value, ...(deps.stateDir === undefined ? {} : { stateDir: deps.stateDir }), ...(deps.host === undefined ? {} : { host: deps.host }) })
  if (!parsed.ok) throw new BootFailure(`The manifest in ${manifestParameter(service)} is invalid:\n${formatIssues(parsed.issues)}\nfix it with deckhand validate and set it again.`)
  const manifest = parsed.manifest
  const ebs = Object.entries(manifest.volumes).find(([, spec]) => spec.kind === 'ebs')
  if (ebs) {
    throw new BootFailure(
      `The manifest declares the ebs volume ${ebs[0]}, which deckhand agent does not support yet (its data would die with the instance); use an instance volume until EBS support lands.`,
    )
  }
  if (bounded) deadline.set({ ms: manifest.rollout.bootDeadlineMs })

  const values = record
    ? await restoreValues(deps, { identity, service, manifest, record, connected, log, stop })
    : await step('the SSM parameters the manifest references', (signal) => (manifest.parameters.length === 0 ? Promise.resolve(new Map<string, ParameterValue>()) : config.read(manifest.parameters, signal)))
  const parameterVersions = record?.parameterVersions ?? Object.fromEntries([...values].map(([name, v]) => [name, v.version]))
  const desired = withRevision(manifest, parameterVersions)

  const saved: BootRecord =
    record ??
    {
      instanceId: identity.instanceId,
      group,
      service,
      manifest: loaded.manifest,
      ...(loaded.release ? { release: loaded.release } : {}),
      parameterVersions,
      bootStartedAt: deadline.startedAt,
    }
  if (!record) {
    try {
      await deps.bootRecord.write(saved)
    } catch (error) {
      throw new BootFailure(messageOf(error))
    }
  }

  // An engine that is not up yet (the agent started first, or dockerd is restarting) is waited
  // for like any other dependency.
  await step('the Docker engine', (signal) => connected.runtime.ping(signal))
  return { identity, connected, group, info, service, manifest, desired, config: loaded, values, record: saved, restarted: record !== undefined }
}

/**
 * One read of a first boot: retried while waiting can help, failed at once when it cannot, and
 * failed at the deadline naming what it waited for and why.
 */
async function boundedStep<T>(what: string, call: (signal: AbortSignal) => Promise<T>, base: PersistOptions, deadline: BootDeadline, stop: AbortSignal): Promise<T> {
  const signal = AbortSignal.any([deadline.signal, stop])
  let last: unknown
  try {
    return await persist(
      what,
      () =>
        call(signal).catch((error: unknown) => {
          last = error
          throw error
        }),
      { ...base, signal, attempts: 1, retryableCounts: false },
    )
  } catch (error) {
    if (stop.aborted) throw error
    if (deadline.signal.aborted) throw new BootFailure(`${capitalize(what)} did not answer within the boot deadline${last === undefined ? '' : ` (${messageOf(last)})`}.`)
    throw new BootFailure(messageOf(error))
  }
}

/**
 * The `{ ssm }` values a restarted agent's containers were started with: the parameter at the
 * version the instance booted with or, when SSM no longer has that version, from the container
 * that was created with it. Only when neither has it (the container is gone too) is SSM waited
 * for; the instance is never failed for it.
 */
async function restoreValues(
  deps: BootSequenceDependencies,
  ctx: { identity: InstanceIdentity; service: string; manifest: Manifest; record: BootRecord; connected: Connected; log: Logger; stop: AbortSignal },
): Promise<ReadonlyMap<string, ParameterValue>> {
  const { manifest, record, connected, stop } = ctx
  const values = new Map<string, ParameterValue>()
  for (const name of manifest.parameters) {
    const version = record.parameterVersions[name]
    const pinned = version === undefined ? name : `${name}:${version}`
    try {
      const read = await persist(`SSM parameter ${pinned}`, () => connected.config.read([pinned], stop), {
        scheduler: deps.scheduler,
        logger: ctx.log,
        random: deps.random,
        signal: stop,
        attempts: 1,
        retryableCounts: false,
      })
      const value = read.get(pinned)
      if (value) {
        values.set(name, value)
        continue
      }
    } catch (error) {
      if (stop.aborted) throw error
      ctx.log.warn({ parameter: pinned, reason: messageOf(error) }, 'the parameter version this instance booted with cannot be read; taking its value from the containers')
    }
    const fromContainer = await valueFromContainers(deps, ctx, name)
    if (fromContainer !== undefined) {
      values.set(name, { value: fromContainer, version: version ?? 0 })
      continue
    }
    const read = await persist(`SSM parameter ${pinned} (no container holds its value)`, () => connected.config.read([pinned], stop), { scheduler: deps.scheduler, logger: ctx.log, random: deps.random, signal: stop, maxMs: 5 * 60_000 })
    const value = read.get(pinned)
    if (value) values.set(name, value)
  }
  return values
}

async function valueFromContainers(deps: BootSequenceDependencies, ctx: { identity: InstanceIdentity; service: string; manifest: Manifest; log: Logger }, parameter: string): Promise<string | undefined> {
  if (!deps.runningEnv) return undefined
  for (const spec of ctx.manifest.containers) {
    for (const [key, value] of Object.entries(spec.env)) {
      if (typeof value === 'string' || value.ssm !== parameter) continue
      const env = await deps.runningEnv.env(containerName({ instanceId: ctx.identity.instanceId, service: ctx.service }, spec.name)).catch(() => undefined)
      const found = env?.[key]
      if (found !== undefined) return found
    }
  }
  return undefined
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function messageOf(error: unknown): string {
  return isDeckhandError(error) || error instanceof Error ? error.message : String(error)
}
