import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceHealthCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
  type Instance as GroupInstance,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling'
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client, type Instance as Ec2Instance } from '@aws-sdk/client-ec2'
import { DeckhandError } from '../../core/errors.js'
import { IDS_PER_FILTER, INSTANCES_PER_PAGE } from '../../core/rollout/drift-interval.js'
import { parseHealth, parseLifecycleState, readDeckhandTags, type GroupView, type InstanceView, type LaunchTemplateRef } from '../../core/rollout/group-view.js'
import type { Fleet, GroupInfo, GroupLaunch, LifecycleTransition } from '../../ports/fleet.js'
import { callAws } from './errors.js'

const GROUP_TAG = 'aws:autoscaling:groupName'

/** EC2 tags every instance launched from a launch template with the template and the concrete version. */
const TAG_TEMPLATE_ID = 'aws:ec2launchtemplate:id'
const TAG_TEMPLATE_VERSION = 'aws:ec2launchtemplate:version'

const HOOK_TRANSITIONS: Readonly<Record<string, LifecycleTransition>> = {
  'autoscaling:EC2_INSTANCE_LAUNCHING': 'launching',
  'autoscaling:EC2_INSTANCE_TERMINATING': 'terminating',
}

/** What the group launches now, resolved to a version number. */
interface CurrentTemplate {
  readonly launchTemplate?: LaunchTemplateRef
  readonly imageId?: string
  /**
   * A mixed instances policy whose overrides name templates of their own: instances may come
   * from any of them, and the view has room for only one, so image and template are compared
   * only for instances of the main template, and the group's image not at all.
   */
  readonly overridden: boolean
}

/**
 * The Auto Scaling and EC2 calls of one agent. `view` is what every agent of the group reads
 * before it decides whether it may go, so it spends as few calls as it can: one
 * DescribeAutoScalingGroups, one DescribeLaunchTemplateVersions, and one DescribeInstances per
 * 200 instances, filtered (the larger of EC2's two DescribeInstances buckets).
 */
export class AwsFleet implements Fleet {
  readonly #autoScaling: AutoScalingClient
  readonly #ec2: EC2Client
  /** A numbered template version never changes, so its image is read once. */
  readonly #versions = new Map<string, { readonly launchTemplate: LaunchTemplateRef; readonly imageId?: string }>()

  constructor(options: { autoScaling: AutoScalingClient; ec2: EC2Client }) {
    this.#autoScaling = options.autoScaling
    this.#ec2 = options.ec2
  }

  async groupOf(instanceId: string, signal?: AbortSignal): Promise<string | undefined> {
    return (await this.#describeInstance(instanceId, signal))?.AutoScalingGroupName
  }

  async lifecycleState(instanceId: string, signal?: AbortSignal): Promise<string | undefined> {
    return (await this.#describeInstance(instanceId, signal))?.LifecycleState
  }

  async group(name: string, signal?: AbortSignal): Promise<GroupInfo> {
    const group = await this.#describeGroup(name, signal)
    const [launch, { hooks, heartbeatTimeouts }] = await Promise.all([this.#launch(group, signal), this.#hooks(name, signal)])
    return {
      name,
      tags: Object.fromEntries((group.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']]))),
      ...launch,
      hooks,
      heartbeatTimeouts,
      ...(group.WarmPoolConfiguration === undefined ? {} : { warmPool: true }),
    }
  }

  async launch(name: string, signal?: AbortSignal): Promise<GroupLaunch> {
    return this.#launch(await this.#describeGroup(name, signal), signal)
  }

  async #launch(group: AutoScalingGroup, signal: AbortSignal | undefined): Promise<GroupLaunch> {
    const current = await this.#currentTemplate(group, signal)
    return {
      desiredCapacity: group.DesiredCapacity ?? 0,
      ...(current.launchTemplate === undefined ? {} : { launchTemplate: current.launchTemplate }),
      ...(current.imageId === undefined || current.overridden ? {} : { imageId: current.imageId }),
    }
  }

  async view(name: string, signal?: AbortSignal): Promise<GroupView> {
    const group = await this.#describeGroup(name, signal)
    const members = group.Instances ?? []
    const ids = members.flatMap((instance) => (instance.InstanceId === undefined ? [] : [instance.InstanceId]))
    const [current, described] = await Promise.all([
      this.#currentTemplate(group, signal),
      ids.length <= IDS_PER_FILTER ? this.#describeInstances(ids, signal) : this.#describeGroupInstances(name, signal),
    ])
    const instances = members.flatMap((member) => {
      const ec2 = member.InstanceId === undefined ? undefined : described.get(member.InstanceId)
      const view = ec2 === undefined ? undefined : instanceView(member, ec2, current)
      return view === undefined ? [] : [view]
    })
    return {
      name,
      desiredCapacity: group.DesiredCapacity ?? 0,
      ...(current.launchTemplate === undefined ? {} : { currentLaunchTemplate: current.launchTemplate }),
      ...(current.imageId === undefined || current.overridden ? {} : { currentImageId: current.imageId }),
      instances,
    }
  }

  async tagInstance(instanceId: string, tags: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void> {
    const entries = Object.entries(tags)
    if (entries.length === 0) return
    await callAws('ec2:CreateTags', signal, (options) =>
      this.#ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: entries.map(([Key, Value]) => ({ Key, Value })) }), options),
    )
  }

  async untagInstance(instanceId: string, keys: readonly string[], signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) return
    await callAws('ec2:DeleteTags', signal, (options) => this.#ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: keys.map((Key) => ({ Key })) }), options))
  }

  async instanceTags(instanceId: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>>> {
    const instance = (await this.#describeInstances([instanceId], signal)).get(instanceId)
    return Object.fromEntries((instance?.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])))
  }

  async completeLifecycleAction(group: string, hook: string, instanceId: string, result: 'CONTINUE' | 'ABANDON', signal?: AbortSignal): Promise<void> {
    await callAws('autoscaling:CompleteLifecycleAction', signal, (options) =>
      this.#autoScaling.send(
        new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId, LifecycleActionResult: result }),
        options,
      ),
    )
  }

  async recordHeartbeat(group: string, hook: string, instanceId: string, signal?: AbortSignal): Promise<void> {
    await callAws('autoscaling:RecordLifecycleActionHeartbeat', signal, (options) =>
      this.#autoScaling.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId }), options),
    )
  }

  async setUnhealthy(instanceId: string, signal?: AbortSignal): Promise<void> {
    await callAws('autoscaling:SetInstanceHealth', signal, (options) =>
      this.#autoScaling.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false }), options),
    )
  }

  async terminate(instanceId: string, signal?: AbortSignal): Promise<void> {
    await callAws('autoscaling:TerminateInstanceInAutoScalingGroup', signal, (options) =>
      this.#autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }), options),
    )
  }

  async #describeInstance(instanceId: string, signal: AbortSignal | undefined) {
    const answer = await callAws('autoscaling:DescribeAutoScalingInstances', signal, (options) =>
      this.#autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }), options),
    )
    return answer.AutoScalingInstances?.find((instance) => instance.InstanceId === instanceId)
  }

  async #describeGroup(name: string, signal: AbortSignal | undefined): Promise<AutoScalingGroup> {
    const answer = await callAws('autoscaling:DescribeAutoScalingGroups', signal, (options) =>
      this.#autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), options),
    )
    const group = answer.AutoScalingGroups?.find((candidate) => candidate.AutoScalingGroupName === name)
    if (group === undefined) {
      throw new DeckhandError('AWS_UNAVAILABLE', `Auto Scaling group ${name} does not exist; check the group name (the instance tag aws:autoscaling:groupName).`)
    }
    return group
  }

  async #hooks(name: string, signal: AbortSignal | undefined): Promise<{ hooks: GroupInfo['hooks']; heartbeatTimeouts: Record<string, number> }> {
    const answer = await callAws('autoscaling:DescribeLifecycleHooks', signal, (options) =>
      this.#autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: name }), options),
    )
    const hooks: Record<LifecycleTransition, string[]> = { launching: [], terminating: [] }
    const heartbeatTimeouts: Record<string, number> = {}
    for (const hook of answer.LifecycleHooks ?? []) {
      const transition = hook.LifecycleTransition === undefined ? undefined : HOOK_TRANSITIONS[hook.LifecycleTransition]
      if (transition === undefined || hook.LifecycleHookName === undefined) continue
      hooks[transition].push(hook.LifecycleHookName)
      if (hook.HeartbeatTimeout !== undefined) heartbeatTimeouts[hook.LifecycleHookName] = hook.HeartbeatTimeout
    }
    return { hooks, heartbeatTimeouts }
  }

  /**
   * The template version the group launches now, `$Latest` and `$Default` resolved to a number,
   * and its image. `ResolveAlias` turns an image given as `resolve:ssm:<parameter>` into the AMI
   * id it names now; anything that is still not an AMI id is left out, so it is never compared.
   */
  async #currentTemplate(group: AutoScalingGroup, signal: AbortSignal | undefined): Promise<CurrentTemplate> {
    const mixed = group.MixedInstancesPolicy?.LaunchTemplate
    const spec = group.LaunchTemplate ?? mixed?.LaunchTemplateSpecification
    const overridden = (mixed?.Overrides ?? []).some((override) => override.LaunchTemplateSpecification !== undefined)
    if (spec === undefined || (spec.LaunchTemplateId === undefined && spec.LaunchTemplateName === undefined)) return { overridden }
    const requested = spec.Version ?? '$Default'
    // By id only: a name can be given to a new template once the old one is deleted.
    const key = isVersionNumber(requested) && spec.LaunchTemplateId !== undefined ? `${spec.LaunchTemplateId}@${requested}` : undefined
    const known = key === undefined ? undefined : this.#versions.get(key)
    if (known !== undefined) return { ...known, overridden }
    const answer = await callAws('ec2:DescribeLaunchTemplateVersions', signal, (options) =>
      this.#ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(spec.LaunchTemplateId === undefined ? { LaunchTemplateName: spec.LaunchTemplateName } : { LaunchTemplateId: spec.LaunchTemplateId }),
          Versions: [requested],
          ResolveAlias: true,
        }),
        options,
      ),
    )
    const version = answer.LaunchTemplateVersions?.[0]
    const id = version?.LaunchTemplateId ?? spec.LaunchTemplateId
    if (version?.VersionNumber === undefined || id === undefined) return { overridden }
    const imageId = version.LaunchTemplateData?.ImageId
    // An image named through an SSM parameter may resolve differently tomorrow: not cached.
    const resolved = {
      launchTemplate: { id, version: String(version.VersionNumber) },
      ...(imageId !== undefined && imageId.startsWith('ami-') ? { imageId } : {}),
    }
    if (key !== undefined && imageId?.startsWith('ami-') === true) this.#versions.set(key, resolved)
    return { ...resolved, overridden }
  }

  async #describeInstances(ids: readonly string[], signal: AbortSignal | undefined): Promise<Map<string, Ec2Instance>> {
    const found = new Map<string, Ec2Instance>()
    for (let start = 0; start < ids.length; start += IDS_PER_FILTER) {
      // A filter, not InstanceIds: an id EC2 does not know yet (eventual consistency) is left
      // out instead of failing the whole call, and filtered calls draw on the larger bucket.
      await this.#describePages([{ Name: 'instance-id', Values: ids.slice(start, start + IDS_PER_FILTER) }], found, signal)
    }
    return found
  }

  /**
   * A large group's instances by its tag, a thousand a page: five times fewer calls than chunks
   * of ids, which matters when every agent of a 10,000-instance group reads the view.
   */
  async #describeGroupInstances(group: string, signal: AbortSignal | undefined): Promise<Map<string, Ec2Instance>> {
    const found = new Map<string, Ec2Instance>()
    await this.#describePages(
      [
        { Name: `tag:${GROUP_TAG}`, Values: [group] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] },
      ],
      found,
      signal,
    )
    return found
  }

  async #describePages(filters: { Name: string; Values: string[] }[], found: Map<string, Ec2Instance>, signal: AbortSignal | undefined): Promise<void> {
    let token: string | undefined
    do {
      const answer = await callAws('ec2:DescribeInstances', signal, (options) =>
        this.#ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: INSTANCES_PER_PAGE, ...(token === undefined ? {} : { NextToken: token }) }), options),
      )
      for (const reservation of answer.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (instance.InstanceId !== undefined) found.set(instance.InstanceId, instance)
        }
      }
      token = answer.NextToken === '' ? undefined : answer.NextToken
    } while (token !== undefined)
  }
}

/**
 * One instance as the gate sees it. Left out (undefined) when its lifecycle state or health does
 * not parse, or EC2 did not describe it: an instance missing from the view never counts as
 * serving, which only makes the gate more careful.
 */
function instanceView(member: GroupInstance, ec2: Ec2Instance, current: CurrentTemplate): InstanceView | undefined {
  const lifecycleState = parseLifecycleState(member.LifecycleState)
  const health = parseHealth(member.HealthStatus)
  const launchTime = ec2.LaunchTime?.getTime()
  if (member.InstanceId === undefined || lifecycleState === undefined || health === undefined || launchTime === undefined || Number.isNaN(launchTime)) {
    return undefined
  }
  const tags = Object.fromEntries((ec2.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])))
  let launchTemplate = launchedFrom(tags, member.LaunchTemplate)
  // Under overrides with templates of their own, an instance of another template is not
  // comparable with the group's main one; say nothing rather than call it out of date.
  if (current.overridden && launchTemplate !== undefined && launchTemplate.id !== current.launchTemplate?.id) launchTemplate = undefined
  const imageId = ec2.ImageId ?? member.ImageId
  return {
    id: member.InstanceId,
    launchTime,
    lifecycleState,
    health,
    ...readDeckhandTags(tags),
    ...(launchTemplate === undefined ? {} : { launchTemplate }),
    ...(imageId === undefined ? {} : { imageId }),
  }
}

/**
 * The concrete version an instance was launched from: EC2's `aws:ec2launchtemplate:*` tags,
 * else the group's record of the instance when it holds a number (it may say `$Latest`).
 */
function launchedFrom(tags: Readonly<Record<string, string>>, recorded: LaunchTemplateSpecification | undefined): LaunchTemplateRef | undefined {
  const taggedId = tags[TAG_TEMPLATE_ID]
  const taggedVersion = tags[TAG_TEMPLATE_VERSION]
  if (taggedId !== undefined && taggedVersion !== undefined && isVersionNumber(taggedVersion)) return { id: taggedId, version: taggedVersion }
  if (recorded?.LaunchTemplateId !== undefined && recorded.Version !== undefined && isVersionNumber(recorded.Version)) {
    return { id: recorded.LaunchTemplateId, version: recorded.Version }
  }
  return undefined
}

function isVersionNumber(version: string): boolean {
  return /^[1-9]\d*$/.test(version)
}
