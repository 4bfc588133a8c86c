import type { GroupView, LaunchTemplateRef } from '../core/rollout/group-view.js'

/** The Auto Scaling group and EC2 calls the agent makes, in deckhand's words. */
export type LifecycleTransition = 'launching' | 'terminating'

export interface GroupInfo {
  readonly name: string
  readonly tags: Readonly<Record<string, string>>
  readonly desiredCapacity: number
  /** Concrete (resolved from $Latest/$Default); undefined for a launch configuration. */
  readonly launchTemplate?: LaunchTemplateRef
  readonly imageId?: string
  /** Lifecycle hook names by transition. */
  readonly hooks: Readonly<Record<LifecycleTransition, readonly string[]>>
}

export interface Fleet {
  /** The group an instance belongs to (DescribeAutoScalingInstances); undefined when none. */
  groupOf(instanceId: string, signal?: AbortSignal): Promise<string | undefined>
  group(name: string, signal?: AbortSignal): Promise<GroupInfo>
  /** One consistent-enough view for the rollout gate: the group and its instances' tags. */
  view(name: string, signal?: AbortSignal): Promise<GroupView>
  /** The instance's own lifecycle state in the group, for a termination the IMDS did not show. */
  lifecycleState(instanceId: string, signal?: AbortSignal): Promise<string | undefined>
  tagInstance(instanceId: string, tags: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void>
  completeLifecycleAction(group: string, hook: string, instanceId: string, result: 'CONTINUE' | 'ABANDON', signal?: AbortSignal): Promise<void>
  recordHeartbeat(group: string, hook: string, instanceId: string, signal?: AbortSignal): Promise<void>
  setUnhealthy(instanceId: string, signal?: AbortSignal): Promise<void>
  /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false. */
  terminate(instanceId: string, signal?: AbortSignal): Promise<void>
}
