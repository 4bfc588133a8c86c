import { randomUUID } from 'node:crypto'
import type { Cancellable } from '../../../../src/ports/clock.js'
import type { EmulatorClock } from '../clock.js'
import type { EventFeed } from '../events.js'
import { newToken } from '../ids.js'
import { ApiError } from './api-error.js'
import type { Ec2Instance, Ec2Instances } from './ec2-instances.js'
import { matchesAny, type Filter } from './filters.js'
import type { LaunchTemplates, VersionSpec } from './launch-templates.js'

export type LifecycleState =
  | 'Pending' | 'Pending:Wait' | 'Pending:Proceed' | 'InService'
  | 'Terminating' | 'Terminating:Wait' | 'Terminating:Proceed' | 'Terminated'
export type HealthStatus = 'Healthy' | 'Unhealthy'
export type LifecycleTransition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING'
export type LifecycleResult = 'CONTINUE' | 'ABANDON'

export const LAUNCHING: LifecycleTransition = 'autoscaling:EC2_INSTANCE_LAUNCHING'
export const TERMINATING: LifecycleTransition = 'autoscaling:EC2_INSTANCE_TERMINATING'

/** The states that count towards desired capacity. */
const ACTIVE: ReadonlySet<LifecycleState> = new Set(['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService'])
const TERMINATING_STATES: ReadonlySet<LifecycleState> = new Set(['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated'])
const MAX_GLOBAL_TIMEOUT_S = 48 * 3600

export interface LifecycleHook {
  readonly name: string
  readonly groupName: string
  readonly transition: LifecycleTransition
  readonly heartbeatTimeoutSeconds: number
  /** min(100 × heartbeat, 48 h): no heartbeat extends a wait beyond this. */
  readonly globalTimeoutSeconds: number
  readonly defaultResult: LifecycleResult
  readonly notificationMetadata: string | undefined
}

export interface HookSpec {
  readonly name: string
  readonly transition: LifecycleTransition
  /** AWS accepts 30-7200 (default 3600); the emulator takes any positive value, for fast tests. */
  readonly heartbeatTimeoutSeconds?: number | undefined
  readonly defaultResult?: LifecycleResult | undefined
  readonly notificationMetadata?: string | undefined
}

export interface GroupTag {
  readonly key: string
  readonly value: string
  readonly propagateAtLaunch: boolean
}

interface ActiveAction {
  readonly hook: LifecycleHook
  readonly token: string
  readonly globalDeadline: number
  timer: Cancellable
}

export interface GroupMember {
  readonly instance: Ec2Instance
  readonly groupName: string
  lifecycleState: LifecycleState
  healthStatus: HealthStatus
  readonly actions: Map<string, ActiveAction>
}

export interface AutoScalingGroup {
  readonly name: string
  readonly arn: string
  readonly createdTime: number
  min: number
  max: number
  desired: number
  readonly availabilityZones: readonly string[]
  launchTemplate: { readonly id: string; readonly name: string; version: VersionSpec }
  readonly tags: GroupTag[]
  readonly hooks: readonly LifecycleHook[]
  /** Members not yet Terminated, in launch order. */
  readonly members: Map<string, GroupMember>
  readonly metadataTags: boolean
  /**
   * What Instances[].LaunchTemplate.Version says for a group launching from `$Latest`/`$Default`:
   * the number the instance really launched from, or the group's own `$Latest`. Which one AWS
   * reports is not confirmed here; an agent should not depend on it (compare AMIs instead).
   */
  readonly instanceVersionReporting: 'resolved' | 'as-configured'
}

export interface CreateGroupSpec {
  readonly name: string
  readonly desired: number
  readonly min?: number | undefined
  readonly max?: number | undefined
  readonly availabilityZones: readonly string[]
  readonly launchTemplate: { readonly id: string; readonly version?: VersionSpec | undefined }
  readonly tags?: readonly GroupTag[] | undefined
  readonly hooks?: readonly HookSpec[] | undefined
  readonly metadataTags?: boolean | undefined
  readonly instanceVersionReporting?: 'resolved' | 'as-configured' | undefined
}

/** Told when a VM starts and when it dies; the emulator starts its IMDS and the harness's agent. */
export interface InstanceLifecycleListener {
  started(instance: Ec2Instance): void | Promise<void>
  terminated(instance: Ec2Instance): void | Promise<void>
}

export interface Activity {
  readonly activityId: string
  readonly groupName: string
  readonly description: string
  readonly cause: string
  readonly startTime: Date
  readonly details: string
}

export interface AutoScalingContext {
  readonly clock: EmulatorClock
  readonly events: EventFeed
  readonly ec2: Ec2Instances
  readonly templates: LaunchTemplates
  readonly region: string
  readonly accountId: string
  /** How long an instance stays Pending (and IMDS target-lifecycle-state 404s) after it booted. */
  readonly launchDelayMs: number
  readonly lifecycle: InstanceLifecycleListener
}

/**
 * Auto Scaling: groups that hold their InService + Pending count at the desired capacity, and the
 * lifecycle of each instance through the hooks.
 *
 * Every change goes through one of a few transitions (#leavePending, #wait, #resolveAction,
 * #beginTerminate, #proceedTerminate, #finish) and then #reconcile, which is the only place that
 * launches or picks instances to scale in. Launching: Pending → (after the VM booted and
 * launchDelayMs) Pending:Wait while launch hooks are open → Pending:Proceed → InService.
 * Terminating: Terminating → Terminating:Wait while terminate hooks are open → Terminating:Proceed
 * → Terminated. The Proceed states last one clock tick, so an API response that caused them goes
 * out before the harness is told to kill the VM.
 *
 * Scale-in order (the emulator's reading of AWS's Default termination policy, made deterministic):
 * the Availability Zone with the most instances first; in it, instances launched from an older
 * launch template version than the group's current one, oldest version first; then the newest
 * instance (AWS picks the one closest to the next billing hour); then the instance id.
 *
 * A launch ABANDON terminates the instance through the terminate hooks like any other
 * termination (so the agent still gets a chance to detach volumes), and the group replaces it.
 */
export class AutoScaling {
  readonly #groups = new Map<string, AutoScalingGroup>()
  /** Every instance that was ever a member, Terminated ones included, for views and IMDS. */
  readonly #membership = new Map<string, GroupMember>()
  readonly #timers = new Set<Cancellable>()
  readonly #inFlight = new Set<Promise<void>>()
  #disposed = false

  constructor(private readonly context: AutoScalingContext) {}

  createGroup(spec: CreateGroupSpec): AutoScalingGroup {
    if (this.#groups.has(spec.name)) throw new ApiError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${spec.name} already exists`)
    const min = spec.min ?? 0
    const max = spec.max ?? spec.desired + 10
    if (!(min <= spec.desired && spec.desired <= max)) {
      throw new ApiError('ValidationError', `Desired capacity:${spec.desired} must be between the specified min size:${min} and max size:${max}`)
    }
    const template = this.context.templates.find({ id: spec.launchTemplate.id })
    const version = spec.launchTemplate.version ?? '$Default'
    this.context.templates.resolve(template, version)
    const group: AutoScalingGroup = {
      name: spec.name,
      arn: `arn:aws:autoscaling:${this.context.region}:${this.context.accountId}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${spec.name}`,
      createdTime: this.context.clock.now(),
      min,
      max,
      desired: spec.desired,
      availabilityZones: spec.availabilityZones,
      launchTemplate: { id: template.id, name: template.name, version },
      tags: [...(spec.tags ?? [])],
      hooks: (spec.hooks ?? []).map((h): LifecycleHook => {
        const heartbeat = h.heartbeatTimeoutSeconds ?? 3600
        return {
          name: h.name,
          groupName: spec.name,
          transition: h.transition,
          heartbeatTimeoutSeconds: heartbeat,
          globalTimeoutSeconds: Math.min(100 * heartbeat, MAX_GLOBAL_TIMEOUT_S),
          defaultResult: h.defaultResult ?? 'ABANDON',
          notificationMetadata: h.notificationMetadata,
        }
      }),
      members: new Map(),
      metadataTags: spec.metadataTags ?? true,
      instanceVersionReporting: spec.instanceVersionReporting ?? 'resolved',
    }
    this.#groups.set(group.name, group)
    this.#reconcile(group)
    return group
  }

  /** Resolves once every VM start and stop handed to the listener so far has finished. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight])
  }

  dispose(): void {
    this.#disposed = true
    for (const timer of this.#timers) timer.cancel()
    this.#timers.clear()
  }

  // --- reads -------------------------------------------------------------------------------

  groups(names: readonly string[] = []): AutoScalingGroup[] {
    const all = [...this.#groups.values()]
    return names.length === 0 ? all : all.filter((g) => names.includes(g.name))
  }

  group(name: string): AutoScalingGroup | undefined {
    return this.#groups.get(name)
  }

  /** The member record of an instance, Terminated ones included. */
  membership(instanceId: string): GroupMember | undefined {
    return this.#membership.get(instanceId)
  }

  /** DescribeAutoScalingInstances: unknown and Terminated ids are left out, not errors. */
  instances(instanceIds: readonly string[] = []): GroupMember[] {
    const members = [...this.#groups.values()].flatMap((g) => [...g.members.values()])
    return instanceIds.length === 0 ? members : members.filter((m) => instanceIds.includes(m.instance.instanceId))
  }

  hooks(groupName: string, names: readonly string[] = []): LifecycleHook[] {
    const group = this.#requireGroup(groupName)
    return group.hooks.filter((h) => names.length === 0 || names.includes(h.name))
  }

  /** The launch template version a member reports, per the group's reporting choice. */
  reportedVersion(member: GroupMember): string {
    const group = this.#groups.get(member.groupName)
    const configured = group?.launchTemplate.version
    if (group?.instanceVersionReporting === 'as-configured' && configured !== undefined && configured.startsWith('$')) return configured
    return String(member.instance.launchTemplate?.version ?? '')
  }

  describeTags(filters: readonly Filter[]): Array<GroupTag & { readonly groupName: string }> {
    const all = [...this.#groups.values()].flatMap((g) => g.tags.map((t) => ({ ...t, groupName: g.name })))
    return all.filter((tag) => filters.every((filter) => {
      switch (filter.name) {
        case 'auto-scaling-group': return filter.values.includes(tag.groupName)
        case 'key': return filter.values.includes(tag.key)
        case 'value': return filter.values.includes(tag.value)
        case 'propagate-at-launch': return filter.values.includes(String(tag.propagateAtLaunch))
        default: throw new ApiError('ValidationError', `Filter type ${filter.name} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch`)
      }
    }))
  }

  /** DescribeAutoScalingGroups Filters: tag:<key>, tag-key, tag-value. */
  matchesGroupFilters(group: AutoScalingGroup, filters: readonly Filter[]): boolean {
    return filters.every((filter) => {
      if (filter.name.startsWith('tag:')) {
        const key = filter.name.slice(4)
        return group.tags.some((t) => t.key === key && matchesAny(filter.values, t.value))
      }
      if (filter.name === 'tag-key') return group.tags.some((t) => filter.values.includes(t.key))
      if (filter.name === 'tag-value') return group.tags.some((t) => filter.values.includes(t.value))
      throw new ApiError('ValidationError', `Filter type ${filter.name} is not correct. Allowed Filter types are: tag-key tag-value tag:<key>`)
    })
  }

  // --- API writes --------------------------------------------------------------------------

  completeLifecycleAction(input: { groupName: string; hookName: string; instanceId?: string | undefined; token?: string | undefined; result: string }): void {
    if (input.result !== 'CONTINUE' && input.result !== 'ABANDON') {
      throw new ApiError('ValidationError', `Value ${input.result} for parameter LifecycleActionResult is invalid. Valid values are CONTINUE and ABANDON.`)
    }
    const { group, member } = this.#findAction(input)
    this.#resolveAction(group, member, input.hookName, input.result, 'api')
  }

  recordHeartbeat(input: { groupName: string; hookName: string; instanceId?: string | undefined; token?: string | undefined }): void {
    const { group, member } = this.#findAction(input)
    const action = member.actions.get(input.hookName)
    if (!action) return
    action.timer.cancel()
    this.#arm(group, member, action)
    this.context.events.emit({ type: 'heartbeat', instanceId: member.instance.instanceId, hookName: input.hookName })
  }

  setInstanceHealth(instanceId: string, status: string): void {
    if (status !== 'Healthy' && status !== 'Unhealthy') throw new ApiError('ValidationError', `Valid instance health states are: [Healthy, Unhealthy].`)
    const { group, member } = this.#requireMember(instanceId)
    if (member.healthStatus !== status) {
      member.healthStatus = status
      this.context.events.emit({ type: 'health', instanceId, status })
    }
    this.#reconcile(group)
  }

  terminateInstance(instanceId: string, shouldDecrementDesiredCapacity: boolean): Activity {
    const { group, member } = this.#requireMember(instanceId)
    const from = group.desired
    const alreadyGoing = TERMINATING_STATES.has(member.lifecycleState)
    if (shouldDecrementDesiredCapacity && !alreadyGoing) {
      if (group.desired - 1 < group.min) {
        throw new ApiError('ValidationError', `Currently, desiredSize equals minSize (${group.min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`)
      }
      this.#setDesired(group, group.desired - 1)
    }
    const now = new Date(this.context.clock.now())
    const shrinking = shouldDecrementDesiredCapacity && !alreadyGoing ? `, shrinking the capacity from ${from} to ${group.desired}` : ''
    this.#beginTerminate(group, member)
    this.#reconcile(group)
    return {
      activityId: randomUUID(),
      groupName: group.name,
      description: `Terminating EC2 instance: ${instanceId}`,
      cause: `At ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')} instance ${instanceId} was taken out of service in response to a user request${shrinking}.`,
      startTime: now,
      details: JSON.stringify({ 'Availability Zone': member.instance.availabilityZone }),
    }
  }

  setDesiredCapacity(groupName: string, desired: number): void {
    const group = this.#requireGroup(groupName)
    if (!Number.isInteger(desired) || desired < 0) throw new ApiError('ValidationError', `Value ${desired} for parameter DesiredCapacity is invalid.`)
    if (desired > group.max) throw new ApiError('ValidationError', `New SetDesiredCapacity value ${desired} is above max value ${group.max} for the AutoScalingGroup.`)
    if (desired < group.min) throw new ApiError('ValidationError', `New SetDesiredCapacity value ${desired} is below min value ${group.min} for the AutoScalingGroup.`)
    this.#setDesired(group, desired)
    this.#reconcile(group)
  }

  createOrUpdateTags(tags: ReadonlyArray<{ groupName: string; key: string; value: string; propagateAtLaunch: boolean }>): void {
    for (const tag of tags) this.#requireGroup(tag.groupName)
    for (const tag of tags) {
      const group = this.#requireGroup(tag.groupName)
      const index = group.tags.findIndex((t) => t.key === tag.key)
      const next: GroupTag = { key: tag.key, value: tag.value, propagateAtLaunch: tag.propagateAtLaunch }
      if (index >= 0) group.tags[index] = next
      else group.tags.push(next)
      this.context.events.emit({ type: 'tags', resourceId: group.name })
    }
  }

  /** What an operator's UpdateAutoScalingGroup would do to the launch template version. */
  setLaunchTemplateVersion(groupName: string, version: VersionSpec): void {
    const group = this.#requireGroup(groupName)
    this.context.templates.resolve(this.context.templates.find({ id: group.launchTemplate.id }), version)
    group.launchTemplate.version = version
  }

  /** The VM is gone now (a spot reclaim, a hardware failure): no hooks, no drain. */
  killInstance(instanceId: string): void {
    const member = this.#membership.get(instanceId)
    if (!member) {
      const instance = this.context.ec2.get(instanceId)
      if (!instance || instance.state === 'terminated') return
      instance.targetLifecycleState = 'Terminated'
      this.context.ec2.setState(instance, 'terminated')
      this.#track(() => this.context.lifecycle.terminated(instance))
      return
    }
    const group = this.#groups.get(member.groupName)
    if (!group || member.lifecycleState === 'Terminated') return
    this.#cancelActions(member)
    member.instance.targetLifecycleState = 'Terminated'
    this.context.ec2.setState(member.instance, 'shutting-down')
    this.#finish(group, member)
    this.#reconcile(group)
  }

  // --- transitions -------------------------------------------------------------------------

  #launch(group: AutoScalingGroup): void {
    const template = this.context.templates.find({ id: group.launchTemplate.id })
    const version = this.context.templates.resolve(template, group.launchTemplate.version)
    const tags = new Map(group.tags.filter((t) => t.propagateAtLaunch).map((t) => [t.key, t.value]))
    tags.set('aws:autoscaling:groupName', group.name)
    const instance = this.context.ec2.launch({
      availabilityZone: this.#leastUsedZone(group),
      instanceType: version.instanceType,
      imageId: version.imageId,
      launchTemplate: { id: template.id, name: template.name, version: version.versionNumber },
      metadataTags: group.metadataTags,
      tags,
    })
    const member: GroupMember = { instance, groupName: group.name, lifecycleState: 'Pending', healthStatus: 'Healthy', actions: new Map() }
    group.members.set(instance.instanceId, member)
    this.#membership.set(instance.instanceId, member)
    this.context.events.emit({ type: 'instance-launched', instanceId: instance.instanceId, groupName: group.name })
    this.context.events.emit({ type: 'lifecycle-state', instanceId: instance.instanceId, groupName: group.name, from: undefined, to: 'Pending' })
    this.context.ec2.setState(instance, 'running')
    this.#track(async () => {
      await this.context.lifecycle.started(instance)
      this.#after(this.context.launchDelayMs, () => this.#leavePending(group, member))
    })
  }

  #leavePending(group: AutoScalingGroup, member: GroupMember): void {
    if (member.lifecycleState !== 'Pending') return
    // The first transition: from here on IMDS answers target-lifecycle-state.
    member.instance.targetLifecycleState = 'InService'
    const hooks = group.hooks.filter((h) => h.transition === LAUNCHING)
    if (hooks.length > 0) this.#wait(group, member, 'Pending:Wait', hooks)
    else this.#proceedLaunch(group, member)
  }

  #wait(group: AutoScalingGroup, member: GroupMember, state: 'Pending:Wait' | 'Terminating:Wait', hooks: readonly LifecycleHook[]): void {
    this.#setState(member, state)
    const now = this.context.clock.now()
    for (const hook of hooks) {
      const action: ActiveAction = { hook, token: newToken(), globalDeadline: now + hook.globalTimeoutSeconds * 1000, timer: { cancel: () => undefined } }
      member.actions.set(hook.name, action)
      this.#arm(group, member, action)
    }
  }

  /** (Re)starts the heartbeat timer, never past the hook's global timeout. */
  #arm(group: AutoScalingGroup, member: GroupMember, action: ActiveAction): void {
    const remaining = Math.min(action.hook.heartbeatTimeoutSeconds * 1000, action.globalDeadline - this.context.clock.now())
    action.timer = this.#after(remaining, () => this.#resolveAction(group, member, action.hook.name, action.hook.defaultResult, 'timeout'))
  }

  #resolveAction(group: AutoScalingGroup, member: GroupMember, hookName: string, result: LifecycleResult, by: 'api' | 'timeout'): void {
    const action = member.actions.get(hookName)
    if (!action) return
    action.timer.cancel()
    member.actions.delete(hookName)
    this.context.events.emit({ type: 'lifecycle-action', instanceId: member.instance.instanceId, hookName, result, by })
    if (member.lifecycleState === 'Pending:Wait') {
      if (result === 'ABANDON') {
        this.#beginTerminate(group, member)
        this.#reconcile(group)
      } else if (member.actions.size === 0) {
        this.#proceedLaunch(group, member)
      }
    } else if (member.lifecycleState === 'Terminating:Wait') {
      // On a terminate hook CONTINUE and ABANDON both end in termination; ABANDON skips the rest.
      if (result === 'ABANDON' || member.actions.size === 0) this.#proceedTerminate(group, member)
    }
  }

  #proceedLaunch(group: AutoScalingGroup, member: GroupMember): void {
    this.#setState(member, 'Pending:Proceed')
    this.#after(0, () => {
      if (member.lifecycleState !== 'Pending:Proceed') return
      this.#setState(member, 'InService')
      this.#reconcile(group)
    })
  }

  #beginTerminate(group: AutoScalingGroup, member: GroupMember): void {
    if (TERMINATING_STATES.has(member.lifecycleState)) return
    this.#cancelActions(member)
    member.instance.targetLifecycleState = 'Terminated'
    this.#setState(member, 'Terminating')
    const hooks = group.hooks.filter((h) => h.transition === TERMINATING)
    if (hooks.length > 0) this.#wait(group, member, 'Terminating:Wait', hooks)
    else this.#proceedTerminate(group, member)
  }

  #proceedTerminate(group: AutoScalingGroup, member: GroupMember): void {
    this.#cancelActions(member)
    this.#setState(member, 'Terminating:Proceed')
    this.context.ec2.setState(member.instance, 'shutting-down')
    this.#after(0, () => this.#finish(group, member))
  }

  #finish(group: AutoScalingGroup, member: GroupMember): void {
    if (member.lifecycleState === 'Terminated') return
    this.#setState(member, 'Terminated')
    group.members.delete(member.instance.instanceId)
    this.context.ec2.setState(member.instance, 'terminated')
    this.#track(() => this.context.lifecycle.terminated(member.instance))
  }

  /** The only place that launches or scales in: brings the active count back to desired. */
  #reconcile(group: AutoScalingGroup): void {
    if (this.#disposed) return
    for (const member of [...group.members.values()]) {
      if (member.lifecycleState === 'InService' && member.healthStatus === 'Unhealthy') this.#beginTerminate(group, member)
    }
    const active = [...group.members.values()].filter((m) => ACTIVE.has(m.lifecycleState))
    for (let i = active.length; i < group.desired; i++) this.#launch(group)
    for (const victim of this.#scaleInOrder(group, active).slice(0, Math.max(0, active.length - group.desired))) {
      this.#beginTerminate(group, victim)
    }
  }

  #scaleInOrder(group: AutoScalingGroup, active: readonly GroupMember[]): GroupMember[] {
    const template = this.context.templates.find({ id: group.launchTemplate.id })
    const current = this.context.templates.resolve(template, group.launchTemplate.version).versionNumber
    const remaining = [...active]
    const order: GroupMember[] = []
    while (remaining.length > 0) {
      const perZone = new Map<string, number>()
      for (const m of remaining) perZone.set(m.instance.availabilityZone, (perZone.get(m.instance.availabilityZone) ?? 0) + 1)
      const busiest = Math.max(...perZone.values())
      const next = remaining
        .filter((m) => perZone.get(m.instance.availabilityZone) === busiest)
        .sort((a, b) => {
          const va = a.instance.launchTemplate?.version ?? 0
          const vb = b.instance.launchTemplate?.version ?? 0
          const oldA = va === current ? 1 : 0
          const oldB = vb === current ? 1 : 0
          return oldA - oldB || va - vb || b.instance.launchTime - a.instance.launchTime || a.instance.instanceId.localeCompare(b.instance.instanceId)
        })[0]
      if (!next) break
      order.push(next)
      remaining.splice(remaining.indexOf(next), 1)
    }
    return order
  }

  #leastUsedZone(group: AutoScalingGroup): string {
    const counts = group.availabilityZones.map((zone) => ({
      zone,
      count: [...group.members.values()].filter((m) => ACTIVE.has(m.lifecycleState) && m.instance.availabilityZone === zone).length,
    }))
    const best = counts.sort((a, b) => a.count - b.count)[0]
    if (!best) throw new ApiError('ValidationError', `The group ${group.name} has no Availability Zones.`)
    return best.zone
  }

  // --- helpers -----------------------------------------------------------------------------

  #setState(member: GroupMember, to: LifecycleState): void {
    const from = member.lifecycleState
    member.lifecycleState = to
    this.context.events.emit({ type: 'lifecycle-state', instanceId: member.instance.instanceId, groupName: member.groupName, from, to })
  }

  #setDesired(group: AutoScalingGroup, desired: number): void {
    group.desired = desired
    this.context.events.emit({ type: 'desired-capacity', groupName: group.name, desired })
  }

  #cancelActions(member: GroupMember): void {
    for (const action of member.actions.values()) action.timer.cancel()
    member.actions.clear()
  }

  #findAction(input: { groupName: string; hookName: string; instanceId?: string | undefined; token?: string | undefined }): { group: AutoScalingGroup; member: GroupMember } {
    const group = this.#requireGroup(input.groupName)
    if (!group.hooks.some((h) => h.name === input.hookName)) {
      throw new ApiError('ValidationError', `No Lifecycle Hook found for name ${input.hookName} in group ${group.name}`)
    }
    if (input.instanceId === undefined && input.token === undefined) {
      throw new ApiError('ValidationError', 'Either LifecycleActionToken or InstanceId must be specified.')
    }
    const member = [...group.members.values()].find((m) => {
      const action = m.actions.get(input.hookName)
      return action !== undefined
        && (input.token === undefined || action.token === input.token)
        && (input.instanceId === undefined || m.instance.instanceId === input.instanceId)
    })
    if (!member) {
      throw new ApiError('ValidationError', input.token !== undefined
        ? `No active Lifecycle Action found with token ${input.token}`
        : `No active Lifecycle Action found with instance ID ${input.instanceId}`)
    }
    return { group, member }
  }

  #requireGroup(name: string): AutoScalingGroup {
    const group = this.#groups.get(name)
    if (!group) throw new ApiError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`)
    return group
  }

  #requireMember(instanceId: string): { group: AutoScalingGroup; member: GroupMember } {
    const member = this.#membership.get(instanceId)
    const group = member && this.#groups.get(member.groupName)
    if (!member || !group || member.lifecycleState === 'Terminated') {
      throw new ApiError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${instanceId}`)
    }
    return { group, member }
  }

  #after(ms: number, fn: () => void): Cancellable {
    if (this.#disposed) return { cancel: () => undefined }
    const handle = this.context.clock.after(ms, () => {
      this.#timers.delete(handle)
      if (!this.#disposed) fn()
    })
    this.#timers.add(handle)
    return { cancel: () => { handle.cancel(); this.#timers.delete(handle) } }
  }

  /**
   * The listener reports its own failures (the emulator turns them into launcher-error events);
   * whatever it does, the model carries on, as AWS does when a VM's software fails.
   */
  #track(work: () => void | Promise<void>): void {
    const promise = Promise.resolve().then(work).catch(() => undefined)
    const tracked = promise.finally(() => this.#inFlight.delete(tracked))
    this.#inFlight.add(tracked)
  }

  /** Token of the open action of a hook on an instance: what a notification would carry. */
  actionToken(instanceId: string, hookName: string): string | undefined {
    return this.#membership.get(instanceId)?.actions.get(hookName)?.token
  }
}
