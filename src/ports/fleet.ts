import type { GroupView, LaunchTemplateRef } from '../core/rollout/group-view.js'

/** The Auto Scaling group and EC2 calls the agent makes, in deckhand's words. */
export type LifecycleTransition = 'launching' | 'terminating'

/** What a group launches now, and how many it wants. */
export interface GroupLaunch {
  readonly desiredCapacity: number
  /** Concrete (resolved from $Latest/$Default); undefined for a launch configuration. */
  readonly launchTemplate?: LaunchTemplateRef
  readonly imageId?: string
}

export interface GroupInfo extends GroupLaunch {
  readonly name: string
  readonly tags: Readonly<Record<string, string>>
  /** Lifecycle hook names by transition. */
  readonly hooks: Readonly<Record<LifecycleTransition, readonly string[]>>
  /** Each hook's heartbeat timeout in seconds, by name, where the group says it. */
  readonly heartbeatTimeouts?: Readonly<Record<string, number>>
  /** The group has a warm pool (deckhand refuses it: warmed instances would serve outside the gate). */
  readonly warmPool?: boolean
}

export interface Fleet {
  /** The group an instance belongs to (DescribeAutoScalingInstances); undefined when none. */
  groupOf(instanceId: string, signal?: AbortSignal): Promise<string | undefined>
  group(name: string, signal?: AbortSignal): Promise<GroupInfo>
  /**
   * The drift check's question, as cheaply as it can be asked: one DescribeAutoScalingGroups,
   * plus DescribeLaunchTemplateVersions only for a version named by alias ($Latest, $Default)
   * or not seen before. No hooks, no tags.
   */
  launch(name: string, signal?: AbortSignal): Promise<GroupLaunch>
  /** One consistent-enough view for the rollout gate: the group and its instances' tags. */
  view(name: string, signal?: AbortSignal): Promise<GroupView>
  /** The instance's own lifecycle state in the group, for a termination the IMDS did not show. */
  lifecycleState(instanceId: string, signal?: AbortSignal): Promise<string | undefined>
  tagInstance(instanceId: string, tags: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void>
  /** DeleteTags of these keys (any value). */
  untagInstance(instanceId: string, keys: readonly string[], signal?: AbortSignal): Promise<void>
  /** The instance's own tags (one filtered DescribeInstances), for when IMDS does not serve them. */
  instanceTags(instanceId: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>>>
  completeLifecycleAction(group: string, hook: string, instanceId: string, result: 'CONTINUE' | 'ABANDON', signal?: AbortSignal): Promise<void>
  recordHeartbeat(group: string, hook: string, instanceId: string, signal?: AbortSignal): Promise<void>
  setUnhealthy(instanceId: string, signal?: AbortSignal): Promise<void>
  /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false. */
  terminate(instanceId: string, signal?: AbortSignal): Promise<void>
}
