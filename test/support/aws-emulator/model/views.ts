import type { Ec2Instance, Ec2State, SpotInstanceAction } from './ec2-instances.js'
import type { AutoScaling, AutoScalingGroup, HealthStatus, LifecycleHook, LifecycleState } from './auto-scaling.js'

/** A frozen picture of one instance, for tests and for the launcher. */
export interface EmulatedInstance {
  readonly instanceId: string
  readonly groupName: string | undefined
  readonly availabilityZone: string
  readonly instanceType: string
  readonly imageId: string
  readonly privateIp: string
  readonly launchTime: Date
  readonly state: Ec2State
  readonly lifecycleState: LifecycleState | undefined
  readonly healthStatus: HealthStatus | undefined
  readonly launchTemplate: { readonly id: string; readonly name: string; readonly version: number } | undefined
  readonly targetLifecycleState: string | undefined
  readonly spotInstanceAction: SpotInstanceAction | undefined
  readonly tags: Readonly<Record<string, string>>
  /** The instance's own IMDS, e.g. http://127.0.0.1:41234; undefined until it is up. */
  readonly imdsEndpoint: string | undefined
}

export interface GroupView {
  readonly name: string
  readonly min: number
  readonly max: number
  readonly desired: number
  readonly availabilityZones: readonly string[]
  readonly launchTemplate: { readonly id: string; readonly name: string; readonly version: string }
  readonly tags: Readonly<Record<string, string>>
  readonly hooks: readonly LifecycleHook[]
  /** Members not yet Terminated, in launch order. */
  readonly instances: readonly EmulatedInstance[]
}

export function instanceView(instance: Ec2Instance, autoScaling: AutoScaling): EmulatedInstance {
  const member = autoScaling.membership(instance.instanceId)
  return Object.freeze({
    instanceId: instance.instanceId,
    groupName: member?.groupName,
    availabilityZone: instance.availabilityZone,
    instanceType: instance.instanceType,
    imageId: instance.imageId,
    privateIp: instance.privateIp,
    launchTime: new Date(instance.launchTime),
    state: instance.state,
    lifecycleState: member?.lifecycleState,
    healthStatus: member?.healthStatus,
    launchTemplate: instance.launchTemplate,
    targetLifecycleState: instance.targetLifecycleState,
    spotInstanceAction: instance.spotInstanceAction,
    tags: Object.freeze(Object.fromEntries(instance.tags)),
    imdsEndpoint: instance.imdsEndpoint,
  })
}

export function groupView(group: AutoScalingGroup, autoScaling: AutoScaling): GroupView {
  return Object.freeze({
    name: group.name,
    min: group.min,
    max: group.max,
    desired: group.desired,
    availabilityZones: group.availabilityZones,
    launchTemplate: { ...group.launchTemplate },
    tags: Object.freeze(Object.fromEntries(group.tags.map((t) => [t.key, t.value]))),
    hooks: group.hooks,
    instances: [...group.members.values()].map((m) => instanceView(m.instance, autoScaling)),
  })
}
