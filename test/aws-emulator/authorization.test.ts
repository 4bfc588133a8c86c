import { CompleteLifecycleActionCommand, DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling'
import { CreateTagsCommand } from '@aws-sdk/client-ec2'
import { GetParametersCommand } from '@aws-sdk/client-ssm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator, type EmulatedInstance } from '../support/aws-emulator/index.js'
import { clientsFor, type Clients } from './clients.js'

/** Each call records what IAM would evaluate: action, resource ARN and condition context. */
describe('call authorizations', () => {
  let emulator: Emulator
  let clients: Clients
  let instance: EmulatedInstance
  const authorizations = (action: string) => emulator.calls.list({ action }).flatMap((c) => c.authorizations)

  beforeEach(async () => {
    emulator = await startEmulator()
    await emulator.createGroup({ name: 'web-asg', desired: 1, tags: { 'deckhand:service': 'web' }, hooks: [{ transition: 'launch', heartbeatTimeoutSeconds: 600 }] })
    instance = await emulator.waitFor(() => emulator.instances({ group: 'web-asg' }).find((i) => i.lifecycleState === 'Pending:Wait'))
    clients = clientsFor(emulator, { instanceId: instance.instanceId })
  })
  afterEach(async () => {
    clients.destroy()
    await emulator.close()
  })

  it('names each parameter of GetParameters, without a version selector', async () => {
    emulator.putParameter('/deckhand/web/manifest', 'containers: {}')
    await clients.ssm.send(new GetParametersCommand({ Names: ['/deckhand/web/manifest', '/deckhand/web/version:3'] }))
    expect(authorizations('GetParameters')).toEqual([
      { action: 'ssm:GetParameters', resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/deckhand/web/manifest', context: {} },
      { action: 'ssm:GetParameters', resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/deckhand/web/version', context: {} },
    ])
  })

  it('gives Auto Scaling writes the group ARN and its tags, found from the instance where the call names none', async () => {
    const group = emulator.state.autoScaling.group('web-asg')
    await clients.autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web-asg', LifecycleHookName: 'launch-hook', InstanceId: instance.instanceId, LifecycleActionResult: 'CONTINUE' }))
    await emulator.waitFor(() => emulator.instance(instance.instanceId)?.lifecycleState === 'InService')
    await clients.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instance.instanceId, ShouldDecrementDesiredCapacity: false }))
    await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({}))
    const onGroup = { resource: group?.arn, context: { 'autoscaling:ResourceTag/deckhand:service': 'web', 'aws:ResourceTag/deckhand:service': 'web' } }
    expect(authorizations('CompleteLifecycleAction')).toEqual([{ action: 'autoscaling:CompleteLifecycleAction', ...onGroup }])
    expect(authorizations('TerminateInstanceInAutoScalingGroup')).toEqual([{ action: 'autoscaling:TerminateInstanceInAutoScalingGroup', ...onGroup }])
    expect(authorizations('DescribeAutoScalingGroups')).toEqual([{ action: 'autoscaling:DescribeAutoScalingGroups', resource: '*', context: {} }])
    expect(group?.arn).toMatch(/^arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:[0-9a-f-]+:autoScalingGroupName\/web-asg$/)
  })

  it('gives CreateTags the instance ARN, its tags before the call, and the request tags and keys', async () => {
    await clients.ec2.send(new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'deckhand:state', Value: 'booting' }] }))
    await clients.ec2.send(new CreateTagsCommand({ Resources: [instance.instanceId], Tags: [{ Key: 'deckhand:state', Value: 'ready' }] }))
    const [first, second] = authorizations('CreateTags')
    expect(first).toMatchObject({
      action: 'ec2:CreateTags',
      resource: `arn:aws:ec2:eu-west-1:123456789012:instance/${instance.instanceId}`,
      context: { 'aws:ResourceTag/deckhand:service': 'web', 'ec2:ResourceTag/deckhand:service': 'web', 'aws:RequestTag/deckhand:state': 'booting', 'aws:TagKeys': ['deckhand:state'] },
    })
    expect(first?.context['aws:ResourceTag/deckhand:state']).toBeUndefined()
    expect(second?.context['aws:ResourceTag/deckhand:state']).toBe('booting')
  })
})
