import { CallLog } from './call-log.js'
import { realClock, type EmulatorClock } from './clock.js'
import { EventFeed, type EmulatorEvent, type EventListener, type WaitOptions } from './events.js'
import { Faults } from './faults.js'
import { accessKeyIdFor, newSecret } from './ids.js'
import { ImdsServer } from './imds/imds-server.js'
import { emulatorEnv, noopLauncher, type Endpoints, type Launcher } from './launcher.js'
import { LAUNCHING, TERMINATING, type GroupTag, type HealthStatus, type LifecycleResult, type LifecycleTransition } from './model/auto-scaling.js'
import type { Ec2Instance, SpotInstanceAction } from './model/ec2-instances.js'
import type { VersionSpec } from './model/launch-templates.js'
import type { ParameterType, ParameterView } from './model/parameter-store.js'
import { Region } from './model/region.js'
import { groupView, instanceView, type EmulatedInstance, type GroupView } from './model/views.js'
import { autoScalingService } from './wire/auto-scaling-handler.js'
import { ec2Service } from './wire/ec2-handler.js'
import { ecrService } from './wire/ecr-handler.js'
import { startService } from './wire/http-service.js'
import { Listener, readBody } from './wire/listener.js'
import { ssmService } from './wire/ssm-handler.js'

export interface EmulatorOptions {
  /** Default eu-west-1. */
  readonly region?: string
  /** Default 123456789012. */
  readonly accountId?: string
  /** Default the region's a, b and c. */
  readonly availabilityZones?: readonly string[]
  /** Default real time. A ManualClock makes hook timeouts and spot deadlines instant. */
  readonly clock?: EmulatorClock
  /** What runs on each instance; default nothing. */
  readonly launcher?: Launcher
  /** How long an instance stays Pending after its launcher returned; default 0. */
  readonly launchDelayMs?: number
  readonly ecr?: { readonly proxyEndpoint?: string; readonly password?: string; readonly tokenTtlMs?: number }
}

export interface HookOptions {
  /** Default `launch-hook` / `terminate-hook`. */
  readonly name?: string
  readonly transition: 'launch' | 'terminate' | LifecycleTransition
  /** Default 3600. Any positive value is accepted here, for tests on the real clock. */
  readonly heartbeatTimeoutSeconds?: number
  /** Default ABANDON, as in AWS. */
  readonly defaultResult?: LifecycleResult
}

export interface CreateGroupOptions {
  readonly name: string
  readonly desired: number
  /** Default 0. */
  readonly min?: number
  /** Default desired + 10. */
  readonly max?: number
  /** A record means every tag propagates to instances at launch. */
  readonly tags?: Readonly<Record<string, string>> | readonly GroupTag[]
  /**
   * A new template (default AMI ami-0123456789abcdef0, t3.micro) or an existing one by id. The
   * group launches from `version`, default `$Latest`.
   */
  readonly launchTemplate?:
    | { readonly imageId?: string; readonly instanceType?: string; readonly name?: string; readonly version?: VersionSpec }
    | { readonly id: string; readonly version?: VersionSpec }
  readonly hooks?: readonly HookOptions[]
  readonly availabilityZones?: readonly string[]
  /** Whether instances expose tags in IMDS (InstanceMetadataTags); default true. */
  readonly instanceMetadataTags?: boolean
  /** See AutoScalingGroup.instanceVersionReporting; default `resolved`. */
  readonly instanceVersionReporting?: 'resolved' | 'as-configured'
}

export interface BakeOptions {
  readonly imageId: string
  /** The group whose template gets the new version (or name the template). */
  readonly group?: string
  readonly templateId?: string
  readonly instanceType?: string
  /** Make it the template's default version; default true when the group launches from `$Default`. */
  readonly setDefault?: boolean
}

export type ClientService = 'ssm' | 'autoScaling' | 'ec2' | 'ecr'

/** Everything a plain SDK client needs to talk to the emulator. */
export interface ClientConfig {
  readonly region: string
  readonly endpoint: string
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }
}

export interface Emulator {
  readonly region: string
  readonly accountId: string
  readonly endpoints: Endpoints
  readonly clock: EmulatorClock
  readonly faults: Faults
  readonly calls: CallLog
  readonly ecr: { readonly proxyEndpoint: string; readonly password: string }
  /** The state model itself, for what the methods below do not cover. */
  readonly state: Region

  /** AWS_* variables for an agent process; with an instance id, as that instance (its IMDS, its credentials). */
  env(instanceId?: string): Record<string, string>
  /** Config for an SDK client in the test itself; as an instance when one is named. */
  clientConfig(service: ClientService, options?: { instanceId?: string }): ClientConfig

  createGroup(options: CreateGroupOptions): Promise<GroupView>
  putParameter(name: string, value: string, options?: { type?: ParameterType; overwrite?: boolean; tier?: 'Standard' | 'Advanced' }): number
  bakeLaunchTemplateVersion(options: BakeOptions): { templateId: string; version: number; imageId: string }
  scheduleSpotInterruption(instanceId: string, options?: { action?: SpotInstanceAction['action']; noticeMs?: number; reclaim?: boolean }): SpotInstanceAction
  setDesiredCapacity(groupName: string, desired: number): Promise<void>
  setInstanceHealth(instanceId: string, status: HealthStatus): Promise<void>
  terminateInstance(instanceId: string, options?: { decrementDesiredCapacity?: boolean }): Promise<void>

  instances(filter?: { group?: string; includeTerminated?: boolean }): EmulatedInstance[]
  instance(instanceId: string): EmulatedInstance | undefined
  group(name: string): GroupView | undefined
  tags(instanceId: string): Readonly<Record<string, string>>
  parameter(name: string): ParameterView | undefined

  /** Resolves with the predicate's first truthy value; re-checked after every state change. */
  waitFor<T>(predicate: () => T | undefined | null | false, options?: WaitOptions): Promise<T>
  on(listener: EventListener): () => void
  recentEvents(count?: number): readonly EmulatorEvent[]
  /** Stops every instance (through the launcher), every IMDS and every endpoint. */
  close(): Promise<void>
}

const DEFAULT_AMI = 'ami-0123456789abcdef0'

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const regionName = options.region ?? 'eu-west-1'
  const accountId = options.accountId ?? '123456789012'
  const clock = options.clock ?? realClock
  const launcher = options.launcher ?? noopLauncher
  const events = new EventFeed()
  const faults = new Faults(clock)
  const calls = new CallLog(clock, events)
  const imds = new Map<string, ImdsServer>()
  let closed = false
  let endpoints: Endpoints | undefined

  const envFor = (instanceId?: string): Record<string, string> => {
    if (!endpoints) throw new Error('the emulator has not started yet')
    if (instanceId === undefined) return emulatorEnv(endpoints, regionName)
    const instance = region.ec2.get(instanceId)
    if (!instance) throw new Error(`no emulated instance ${instanceId}`)
    if (!instance.imdsEndpoint) throw new Error(`instance ${instanceId} has no IMDS yet; wait for its imds-ready event`)
    return emulatorEnv(endpoints, regionName, { instanceId, imdsEndpoint: instance.imdsEndpoint })
  }

  const region: Region = new Region({
    region: regionName,
    accountId,
    availabilityZones: options.availabilityZones ?? ['a', 'b', 'c'].map((z) => `${regionName}${z}`),
    clock,
    events,
    launchDelayMs: options.launchDelayMs ?? 0,
    lifecycle: {
      // The VM boots: its metadata service comes up first, then whatever the harness runs on it.
      started: async (instance: Ec2Instance) => {
        let server: ImdsServer
        try {
          server = await ImdsServer.start(instance, { region: regionName, accountId, clock, faults, calls })
        } catch (error) {
          events.emit({ type: 'launcher-error', instanceId: instance.instanceId, phase: 'launch', error })
          return
        }
        if (closed || instance.state === 'terminated') {
          await server.close()
          return
        }
        imds.set(instance.instanceId, server)
        instance.imdsEndpoint = server.endpoint
        events.emit({ type: 'imds-ready', instanceId: instance.instanceId, endpoint: server.endpoint })
        try {
          await launcher.launch(instanceView(instance, region.autoScaling), envFor(instance.instanceId))
        } catch (error) {
          events.emit({ type: 'launcher-error', instanceId: instance.instanceId, phase: 'launch', error })
        }
      },
      // The VM dies: what ran on it goes first, then its metadata service.
      terminated: async (instance: Ec2Instance) => {
        try {
          await launcher.terminate(instance.instanceId)
        } catch (error) {
          events.emit({ type: 'launcher-error', instanceId: instance.instanceId, phase: 'terminate', error })
        }
        await imds.get(instance.instanceId)?.close()
        imds.delete(instance.instanceId)
      },
    },
  })

  const ecr = {
    proxyEndpoint: options.ecr?.proxyEndpoint ?? `https://${accountId}.dkr.ecr.${regionName}.amazonaws.com`,
    password: options.ecr?.password ?? newSecret(),
  }
  const deps = { faults, calls }
  const listeners = await Promise.all([
    startService(ssmService(region), deps),
    startService(autoScalingService(region), deps),
    startService(ec2Service(region), deps),
    startService(ecrService(clock, { ...ecr, tokenTtlMs: options.ecr?.tokenTtlMs ?? 12 * 3600_000 }), deps),
    startFallback(),
  ])
  const [ssm, autoScaling, ec2, ecrListener, fallback] = listeners
  endpoints = Object.freeze({ ssm: ssm.url, autoScaling: autoScaling.url, ec2: ec2.url, ecr: ecrListener.url, fallback: fallback.url })
  const ready = endpoints

  const requireInstance = (instanceId: string): Ec2Instance => {
    const instance = region.ec2.get(instanceId)
    if (!instance) throw new Error(`no emulated instance ${instanceId}`)
    return instance
  }

  const emulator: Emulator = {
    region: regionName,
    accountId,
    endpoints: ready,
    clock,
    faults,
    calls,
    ecr,
    state: region,
    env: envFor,

    clientConfig(service, clientOptions = {}) {
      const env = emulatorEnv(ready, regionName)
      const accessKeyId = clientOptions.instanceId === undefined ? env['AWS_ACCESS_KEY_ID'] ?? '' : accessKeyIdFor(clientOptions.instanceId)
      return { region: regionName, endpoint: ready[service], credentials: { accessKeyId, secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '' } }
    },

    async createGroup(group) {
      const spec = group.launchTemplate ?? {}
      const templateId = 'id' in spec
        ? spec.id
        : region.launchTemplates.create({ name: spec.name ?? `${group.name}-template`, imageId: spec.imageId ?? DEFAULT_AMI, instanceType: spec.instanceType ?? 't3.micro' }).id
      const created = region.autoScaling.createGroup({
        name: group.name,
        desired: group.desired,
        min: group.min,
        max: group.max,
        availabilityZones: group.availabilityZones ?? region.availabilityZones,
        launchTemplate: { id: templateId, version: spec.version ?? '$Latest' },
        tags: groupTags(group.tags),
        hooks: (group.hooks ?? []).map((hook) => {
          const transition = hook.transition === 'launch' ? LAUNCHING : hook.transition === 'terminate' ? TERMINATING : hook.transition
          return {
            name: hook.name ?? (transition === LAUNCHING ? 'launch-hook' : 'terminate-hook'),
            transition,
            heartbeatTimeoutSeconds: hook.heartbeatTimeoutSeconds,
            defaultResult: hook.defaultResult,
          }
        }),
        metadataTags: group.instanceMetadataTags,
        instanceVersionReporting: group.instanceVersionReporting,
      })
      await region.autoScaling.settled()
      return groupView(created, region.autoScaling)
    },

    putParameter(name, value, parameterOptions = {}) {
      return region.parameters.put({ name, value, type: parameterOptions.type ?? 'String', overwrite: parameterOptions.overwrite ?? true, tier: parameterOptions.tier }).version
    },

    bakeLaunchTemplateVersion(bake) {
      const group = bake.group === undefined ? undefined : region.autoScaling.group(bake.group)
      if (bake.group !== undefined && !group) throw new Error(`no emulated group ${bake.group}`)
      const templateId = bake.templateId ?? group?.launchTemplate.id
      if (templateId === undefined) throw new Error('bakeLaunchTemplateVersion needs a group or a templateId')
      const version = region.launchTemplates.createVersion({ id: templateId }, { sourceVersion: '$Latest', imageId: bake.imageId, instanceType: bake.instanceType })
      const groupVersion = group?.launchTemplate.version
      if (bake.setDefault ?? groupVersion === '$Default') region.launchTemplates.setDefaultVersion({ id: templateId }, String(version.versionNumber))
      // A group pinned to a number follows the bake, as a Terraform apply would move it.
      if (group && groupVersion !== undefined && !groupVersion.startsWith('$')) region.autoScaling.setLaunchTemplateVersion(group.name, String(version.versionNumber))
      return { templateId, version: version.versionNumber, imageId: version.imageId }
    },

    scheduleSpotInterruption: (instanceId, spotOptions) => region.scheduleSpotInterruption(instanceId, spotOptions),

    async setDesiredCapacity(groupName, desired) {
      region.autoScaling.setDesiredCapacity(groupName, desired)
      await region.autoScaling.settled()
    },

    async setInstanceHealth(instanceId, status) {
      region.autoScaling.setInstanceHealth(instanceId, status)
      await region.autoScaling.settled()
    },

    async terminateInstance(instanceId, terminateOptions = {}) {
      region.autoScaling.terminateInstance(instanceId, terminateOptions.decrementDesiredCapacity ?? false)
      await region.autoScaling.settled()
    },

    instances(filter = {}) {
      return region.ec2.all()
        .filter((i) => filter.includeTerminated || i.state !== 'terminated')
        .map((i) => instanceView(i, region.autoScaling))
        .filter((i) => filter.group === undefined || i.groupName === filter.group)
    },

    instance(instanceId) {
      const instance = region.ec2.get(instanceId)
      return instance && instanceView(instance, region.autoScaling)
    },

    group(name) {
      const group = region.autoScaling.group(name)
      return group && groupView(group, region.autoScaling)
    },

    tags: (instanceId) => Object.freeze(Object.fromEntries(requireInstance(instanceId).tags)),

    parameter(name) {
      try {
        return region.parameters.get(name, true)
      } catch {
        return undefined
      }
    },

    waitFor: (predicate, waitOptions) => events.waitFor(predicate, waitOptions),
    on: (listener) => events.on(listener),
    recentEvents: (count) => events.recent(count),

    async close() {
      if (closed) return
      closed = true
      region.dispose()
      // Let VM starts already under way finish, so nothing the launcher started is orphaned.
      await Promise.race([region.autoScaling.settled(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
      const alive = region.ec2.all().filter((i) => i.state !== 'terminated')
      await Promise.allSettled(alive.map((i) => launcher.terminate(i.instanceId)))
      await Promise.allSettled([...imds.values()].map((server) => server.close()))
      imds.clear()
      faults.dispose()
      await Promise.allSettled(listeners.map((l) => l.close()))
      events.close()
    },
  }
  return emulator
}

function groupTags(tags: CreateGroupOptions['tags']): GroupTag[] {
  if (tags === undefined) return []
  if (Array.isArray(tags)) return [...(tags as readonly GroupTag[])]
  return Object.entries(tags as Readonly<Record<string, string>>).map(([key, value]) => ({ key, value, propagateAtLaunch: true }))
}

/** Any service the emulator does not speak gets a clear refusal instead of a trip to real AWS. */
async function startFallback(): Promise<Listener> {
  return Listener.open(async (request, response) => {
    await readBody(request)
    const target = request.headers['x-amz-target'] ?? request.url ?? ''
    const body = `deckhand aws-emulator: this service is not emulated (${String(target)}); see test/support/aws-emulator/README.md`
    response.writeHead(501, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) }).end(body)
  })
}
