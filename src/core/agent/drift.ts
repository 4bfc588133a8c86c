/**
 * Drift: should this instance be replaced? `checkDrift` is the pure decision; `DriftReader`
 * makes the reads it needs as cheaply as they can be made and remembers what it learned, so a
 * version seen once (including after a rollback, or a release of the same version again) costs
 * one GetParameters afterwards, never a reload of the manifest.
 */
import { parseManifest, withRevision, formatIssues, type HostCapacity, type Manifest, type RolloutSpec } from '../manifest/index.js'
import type { Drift } from '../rollout/gate.js'
import type { LaunchTemplateRef } from '../rollout/group-view.js'
import { GET_PARAMETERS_MAX_NAMES } from '../rollout/drift-interval.js'
import { manifestParameter, versionParameter, type ConfigStore } from '../../ports/config-store.js'
import type { Fleet, GroupLaunch } from '../../ports/fleet.js'

/** What this instance runs, fixed at boot. */
export interface Booted {
  readonly revision: string
  readonly imageId: string
  readonly rollout: RolloutSpec
}

/** What the reads say the instance should run now. */
export type Wanted = { readonly revision: string; readonly rollout: RolloutSpec } | { readonly unrollable: string; readonly rollout?: RolloutSpec }

export interface DriftReads {
  readonly wanted: Wanted
  readonly launch: GroupLaunch
  /** The launch template version this instance was launched from, once known. */
  readonly launchedFrom?: LaunchTemplateRef
}

export type DriftVerdict =
  | { readonly kind: 'stay'; readonly reason: string; readonly rollout: RolloutSpec }
  | { readonly kind: 'out-of-date'; readonly desiredRevision: string; readonly rollout: RolloutSpec; readonly drift: readonly Drift[] }

/** The decision, from the reads alone. The rollout section applies as it is now (it is not in the revision). */
export function checkDrift(booted: Booted, reads: DriftReads): DriftVerdict {
  const { wanted, launch, launchedFrom } = reads
  const rollout = wanted.rollout ?? booted.rollout
  const drift: Drift[] = []
  if ('revision' in wanted && wanted.revision !== booted.revision) drift.push('revision')
  if (launch.launchTemplate !== undefined && launchedFrom !== undefined && (launch.launchTemplate.id !== launchedFrom.id || launch.launchTemplate.version !== launchedFrom.version)) {
    drift.push('launch-template')
  }
  if (launch.imageId !== undefined && launch.imageId !== booted.imageId) drift.push('image')
  if ('unrollable' in wanted) {
    // A broken SSM config is never rolled to; an AMI or template change still is, at the revision it runs.
    if (drift.length === 0) return { kind: 'stay', reason: wanted.unrollable, rollout }
    return { kind: 'out-of-date', desiredRevision: booted.revision, rollout, drift }
  }
  if (drift.length === 0) return { kind: 'stay', reason: 'up to date: current revision, launch template and image', rollout }
  return { kind: 'out-of-date', desiredRevision: wanted.revision, rollout, drift }
}

/** API calls one check made, by bucket, for the interval (drift-interval.ts). */
export interface CheckCalls {
  readonly ssm: number
  readonly autoScaling: number
  readonly ec2: number
}

type Known = { readonly manifest: Manifest } | { readonly invalid: string }

export class DriftReader {
  readonly #config: ConfigStore
  readonly #fleet: Fleet
  readonly #service: string
  readonly #group: string
  /** Parsed manifests by the versions of /manifest and /version they came from. */
  readonly #manifests = new Map<string, Known>()
  /** Parameters whose versions every check reads: those of the booted manifest and of any manifest seen since. */
  readonly #watched: Set<string>
  readonly #stateDir: string | undefined
  readonly #host: HostCapacity | undefined

  constructor(options: { config: ConfigStore; fleet: Fleet; service: string; group: string; stateDir?: string; host?: HostCapacity; booted: { manifest: Manifest; manifestVersion: number; releaseVersion?: number } }) {
    this.#config = options.config
    this.#fleet = options.fleet
    this.#service = options.service
    this.#group = options.group
    this.#stateDir = options.stateDir
    this.#host = options.host
    this.#watched = new Set(options.booted.manifest.parameters)
    this.#manifests.set(key(options.booted.manifestVersion, options.booted.releaseVersion), { manifest: options.booted.manifest })
  }

  /** How many GetParameters calls a check makes when nothing moved. */
  get ssmCallsPerCheck(): number {
    return Math.max(1, Math.ceil((2 + this.#watched.size) / GET_PARAMETERS_MAX_NAMES))
  }

  async wanted(signal?: AbortSignal): Promise<{ wanted: Wanted; calls: number }> {
    const manifestName = manifestParameter(this.#service)
    const releaseName = versionParameter(this.#service)
    const versions = await this.#config.versions([manifestName, releaseName, ...this.#watched], signal)
    let calls = this.ssmCallsPerCheck
    const manifestVersion = versions.get(manifestName)
    if (manifestVersion === undefined) return { wanted: { unrollable: `${manifestName} no longer exists; not rolling until it does` }, calls }
    let known = this.#manifests.get(key(manifestVersion, versions.get(releaseName)))
    if (known === undefined) {
      const loaded = await this.#config.load(this.#service, signal)
      calls += 1
      const parsed = parseManifest(loaded.manifest.value, { version: loaded.release?.value, ...(this.#stateDir === undefined ? {} : { stateDir: this.#stateDir }), ...(this.#host === undefined ? {} : { host: this.#host }) })
      known = parsed.ok ? { manifest: parsed.manifest } : { invalid: `the manifest now in ${manifestName} is invalid; not rolling to it:\n${formatIssues(parsed.issues)}` }
      this.#manifests.set(key(loaded.manifest.version, loaded.release?.version), known)
    }
    if ('invalid' in known) return { wanted: { unrollable: known.invalid }, calls }
    const { manifest } = known
    let refs = versions
    const unseen = manifest.parameters.filter((name) => !this.#watched.has(name))
    if (unseen.length > 0) {
      refs = new Map([...versions, ...(await this.#config.versions(unseen, signal))])
      calls += Math.ceil(unseen.length / GET_PARAMETERS_MAX_NAMES)
      for (const name of unseen) this.#watched.add(name)
    }
    const gone = manifest.parameters.filter((name) => !refs.has(name))
    if (gone.length > 0) {
      // A replacement could not boot without them: rolling would only churn the group.
      return { wanted: { unrollable: `SSM parameters the manifest references do not exist (${gone.join(', ')}); not rolling until they do`, rollout: manifest.rollout }, calls }
    }
    const revision = withRevision(manifest, Object.fromEntries(manifest.parameters.map((name) => [name, refs.get(name) ?? -1]))).revision
    return { wanted: { revision, rollout: manifest.rollout }, calls }
  }

  launch(signal?: AbortSignal): Promise<GroupLaunch> {
    return this.#fleet.launch(this.#group, signal)
  }
}

function key(manifestVersion: number, releaseVersion: number | undefined): string {
  return `${manifestVersion}/${releaseVersion ?? '-'}`
}
