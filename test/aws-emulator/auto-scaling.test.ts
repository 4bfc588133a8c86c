import {
  CompleteLifecycleActionCommand,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DescribeTagsCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, startEmulator, type Emulator, type EmulatorOptions, type LifecycleState } from '../support/aws-emulator/index.js'
import { clientsFor, rejection, type Clients } from './clients.js'

describe('Auto Scaling over awsQuery', () => {
  let emulator: Emulator
  let clients: Clients

  async function start(options: EmulatorOptions = {}): Promise<void> {
    emulator = await startEmulator(options)
    clients = clientsFor(emulator)
  }
  afterEach(async () => {
    clients.destroy()
    await emulator.close()
  })

  const inState = (group: string, state: LifecycleState) => emulator.instances({ group }).filter((i) => i.lifecycleState === state)
  const allIn = (group: string, state: LifecycleState, count: number) => () => {
    const found = inState(group, state)
    return found.length === count && emulator.instances({ group }).length === count ? found : undefined
  }

  it('describes a group with its instances, tags, launch template and capacity', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 2, min: 1, max: 4, tags: { 'deckhand:service': 'web' }, launchTemplate: { imageId: 'ami-00000000000000001' } })
    await emulator.waitFor(allIn('web', 'InService', 2))

    const { AutoScalingGroups } = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web', 'absent'] }))
    expect(AutoScalingGroups).toHaveLength(1)
    const group = AutoScalingGroups?.[0]
    expect(group).toMatchObject({ AutoScalingGroupName: 'web', DesiredCapacity: 2, MinSize: 1, MaxSize: 4, LaunchTemplate: { Version: '$Latest' } })
    expect(group?.Tags).toEqual([{ ResourceId: 'web', ResourceType: 'auto-scaling-group', Key: 'deckhand:service', Value: 'web', PropagateAtLaunch: true }])
    expect(group?.Instances).toHaveLength(2)
    expect(group?.Instances?.[0]).toMatchObject({ LifecycleState: 'InService', HealthStatus: 'Healthy', LaunchTemplate: { Version: '1' } })
    expect(new Set(group?.Instances?.map((i) => i.AvailabilityZone)).size).toBe(2)

    const ids = emulator.instances({ group: 'web' }).map((i) => i.instanceId)
    expect(emulator.tags(ids[0] ?? '')).toEqual({ 'deckhand:service': 'web', 'aws:autoscaling:groupName': 'web' })
    const details = await clients.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [ids[0] ?? '', 'i-00000000000000000'] }))
    expect(details.AutoScalingInstances).toEqual([expect.objectContaining({ InstanceId: ids[0], AutoScalingGroupName: 'web', LifecycleState: 'InService' })])
  })

  it('completes a launch hook with CONTINUE: Pending:Wait → InService, target-lifecycle-state InService', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 1, hooks: [{ name: 'boot', transition: 'launch' }] })
    const [instance] = await emulator.waitFor(allIn('web', 'Pending:Wait', 1))
    const id = instance?.instanceId ?? ''
    expect(emulator.instance(id)?.targetLifecycleState).toBe('InService')

    const hooks = await clients.autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'web' }))
    expect(hooks.LifecycleHooks).toEqual([expect.objectContaining({ LifecycleHookName: 'boot', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 3600, DefaultResult: 'ABANDON', GlobalTimeout: 172800 })])

    await clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'boot', InstanceId: id, LifecycleActionResult: 'CONTINUE' }))
    await emulator.waitFor(() => emulator.instance(id)?.lifecycleState === 'InService')
    const states = emulator.recentEvents(50).filter((e) => e.type === 'lifecycle-state' && e.instanceId === id).map((e) => e.type === 'lifecycle-state' && e.to)
    expect(states).toEqual(['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService'])

    const again = await rejection(clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'boot', InstanceId: id, LifecycleActionResult: 'CONTINUE' })))
    expect(again.name).toBe('ValidationError')
    expect(again.message).toContain('No active Lifecycle Action')
  })

  it('replaces an instance whose launch hook is ABANDONed', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 1, hooks: [{ transition: 'launch' }] })
    const [first] = await emulator.waitFor(allIn('web', 'Pending:Wait', 1))
    await clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'launch-hook', InstanceId: first?.instanceId, LifecycleActionResult: 'ABANDON' }))

    await emulator.waitFor(() => emulator.instance(first?.instanceId ?? '')?.state === 'terminated')
    const replacement = await emulator.waitFor(() => inState('web', 'Pending:Wait').find((i) => i.instanceId !== first?.instanceId))
    expect(emulator.group('web')?.desired).toBe(1)
    expect(replacement.lifecycleState).toBe('Pending:Wait')
  })

  it('applies the hook DefaultResult when the heartbeat timeout passes, on an injected clock', async () => {
    const clock = new ManualClock()
    await start({ clock })
    await emulator.createGroup({ name: 'abandon', desired: 1, hooks: [{ transition: 'launch', heartbeatTimeoutSeconds: 300 }] })
    await emulator.createGroup({ name: 'continue', desired: 1, hooks: [{ transition: 'launch', heartbeatTimeoutSeconds: 600, defaultResult: 'CONTINUE' }] })
    const [doomed] = await emulator.waitFor(allIn('abandon', 'Pending:Wait', 1))
    const [kept] = await emulator.waitFor(allIn('continue', 'Pending:Wait', 1))

    clock.advance(299_000)
    expect(emulator.instance(doomed?.instanceId ?? '')?.lifecycleState).toBe('Pending:Wait')
    // A heartbeat restarts the 600 s timer of the other group's hook.
    await clients.autoScaling.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'continue', LifecycleHookName: 'launch-hook', InstanceId: kept?.instanceId }))
    clock.advance(1_000)
    await emulator.waitFor(() => emulator.instance(doomed?.instanceId ?? '')?.state === 'terminated')
    await emulator.waitFor(() => inState('abandon', 'Pending:Wait').length === 1 || undefined)

    clock.advance(400_000)
    expect(emulator.instance(kept?.instanceId ?? '')?.lifecycleState).toBe('Pending:Wait')
    clock.advance(200_000)
    await emulator.waitFor(() => emulator.instance(kept?.instanceId ?? '')?.lifecycleState === 'InService')
    const action = emulator.recentEvents(100).find((e) => e.type === 'lifecycle-action' && e.instanceId === kept?.instanceId)
    expect(action).toMatchObject({ result: 'CONTINUE', by: 'timeout' })
  })

  it('completes a hook by LifecycleActionToken as well as by instance id', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 1, hooks: [{ transition: 'launch' }] })
    const [instance] = await emulator.waitFor(allIn('web', 'Pending:Wait', 1))
    const token = emulator.state.autoScaling.actionToken(instance?.instanceId ?? '', 'launch-hook')
    await clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'launch-hook', LifecycleActionToken: token, LifecycleActionResult: 'CONTINUE' }))
    await emulator.waitFor(allIn('web', 'InService', 1))
  })

  it('launches a replacement after TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 2, hooks: [{ transition: 'terminate' }] })
    const [victim] = await emulator.waitFor(allIn('web', 'InService', 2))
    const id = victim?.instanceId ?? ''

    const { Activity } = await clients.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id, ShouldDecrementDesiredCapacity: false }))
    expect(Activity).toMatchObject({ AutoScalingGroupName: 'web', StatusCode: 'InProgress', Description: `Terminating EC2 instance: ${id}` })
    expect(emulator.instance(id)).toMatchObject({ lifecycleState: 'Terminating:Wait', targetLifecycleState: 'Terminated', state: 'running' })
    // The replacement does not wait for the old instance's drain.
    await emulator.waitFor(() => inState('web', 'InService').length === 2 && !inState('web', 'InService').some((i) => i.instanceId === id))
    expect(emulator.group('web')?.desired).toBe(2)

    await clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'terminate-hook', InstanceId: id, LifecycleActionResult: 'CONTINUE' }))
    await emulator.waitFor(() => emulator.instance(id)?.state === 'terminated')
    expect(emulator.instance(id)?.lifecycleState).toBe('Terminated')
    expect(emulator.group('web')?.instances).toHaveLength(2)
  })

  it('shrinks the group with ShouldDecrementDesiredCapacity=true, but never below min', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 2, min: 1 })
    const [a, b] = await emulator.waitFor(allIn('web', 'InService', 2))
    await clients.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: a?.instanceId, ShouldDecrementDesiredCapacity: true }))
    await emulator.waitFor(() => emulator.instance(a?.instanceId ?? '')?.state === 'terminated')
    expect(emulator.group('web')?.desired).toBe(1)
    expect(emulator.instances({ group: 'web' }).map((i) => i.instanceId)).toEqual([b?.instanceId])

    const error = await rejection(clients.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: b?.instanceId, ShouldDecrementDesiredCapacity: true })))
    expect(error.name).toBe('ValidationError')
    expect(error.message).toContain("min size constraint")

    const unknown = await rejection(clients.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-00000000000000000', ShouldDecrementDesiredCapacity: false })))
    expect(unknown.name).toBe('ValidationError')
  })

  it('replaces an instance set Unhealthy with SetInstanceHealth', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 1 })
    const [sick] = await emulator.waitFor(allIn('web', 'InService', 1))
    await clients.autoScaling.send(new SetInstanceHealthCommand({ InstanceId: sick?.instanceId, HealthStatus: 'Unhealthy' }))
    await emulator.waitFor(() => emulator.instance(sick?.instanceId ?? '')?.state === 'terminated')
    const [fresh] = await emulator.waitFor(allIn('web', 'InService', 1))
    expect(fresh?.instanceId).not.toBe(sick?.instanceId)
    expect(fresh?.healthStatus).toBe('Healthy')
  })

  it('scales out and in with SetDesiredCapacity, scale-in going through the terminate hook', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 1, max: 3, hooks: [{ transition: 'terminate' }] })
    const [oldest] = await emulator.waitFor(allIn('web', 'InService', 1))
    await clients.autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 3 }))
    const three = await emulator.waitFor(allIn('web', 'InService', 3))

    const tooMany = await rejection(clients.autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 4 })))
    expect(tooMany.name).toBe('ValidationError')
    expect(tooMany.message).toContain('above max value 3')

    await clients.autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 1 }))
    const leaving = await emulator.waitFor(() => {
      const waiting = inState('web', 'Terminating:Wait')
      return waiting.length === 2 ? waiting : undefined
    })
    // One zone each: the newest instances go first, the oldest stays.
    expect(leaving.map((i) => i.instanceId)).not.toContain(oldest?.instanceId)
    expect(three).toHaveLength(3)
    for (const instance of leaving) {
      expect(instance.targetLifecycleState).toBe('Terminated')
      await clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'terminate-hook', InstanceId: instance.instanceId, LifecycleActionResult: 'CONTINUE' }))
    }
    await emulator.waitFor(allIn('web', 'InService', 1))
    expect(emulator.instances({ group: 'web' })[0]?.instanceId).toBe(oldest?.instanceId)
  })

  it('scales in instances of an older launch template version first', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 2, availabilityZones: ['eu-west-1a'] })
    const old = await emulator.waitFor(allIn('web', 'InService', 2))
    emulator.bakeLaunchTemplateVersion({ group: 'web', imageId: 'ami-00000000000000002' })
    await emulator.setDesiredCapacity('web', 4)
    await emulator.waitFor(allIn('web', 'InService', 4))
    await emulator.setDesiredCapacity('web', 2)
    const kept = await emulator.waitFor(allIn('web', 'InService', 2))
    expect(kept.map((i) => i.imageId)).toEqual(['ami-00000000000000002', 'ami-00000000000000002'])
    expect(kept.map((i) => i.instanceId)).not.toContain(old[0]?.instanceId)
  })

  it('reads and writes group tags; new tags propagate to instances launched afterwards', async () => {
    await start()
    await emulator.createGroup({ name: 'web', desired: 1 })
    await emulator.waitFor(allIn('web', 'InService', 1))
    await clients.autoScaling.send(new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: 'web', ResourceType: 'auto-scaling-group', Key: 'deckhand:service', Value: 'api', PropagateAtLaunch: true }] }))
    const { Tags } = await clients.autoScaling.send(new DescribeTagsCommand({ Filters: [{ Name: 'auto-scaling-group', Values: ['web'] }] }))
    expect(Tags).toEqual([{ ResourceId: 'web', ResourceType: 'auto-scaling-group', Key: 'deckhand:service', Value: 'api', PropagateAtLaunch: true }])

    await emulator.setDesiredCapacity('web', 2)
    const [, newer] = await emulator.waitFor(allIn('web', 'InService', 2))
    expect(newer?.tags['deckhand:service']).toBe('api')
    expect(emulator.instances({ group: 'web' })[0]?.tags['deckhand:service']).toBeUndefined()
  })
})
