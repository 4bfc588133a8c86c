import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceHealthCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
  type LifecycleState,
} from '@aws-sdk/client-auto-scaling'
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client, type DescribeInstancesCommandInput, type Instance } from '@aws-sdk/client-ec2'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { AwsFleet } from '../../../src/adapters/aws/auto-scaling-fleet.js'
import { serviceError } from './sdk-errors.js'

const credentials = { accessKeyId: 'a', secretAccessKey: 's' }
const autoScaling = new AutoScalingClient({ region: 'eu-west-1', credentials })
const ec2 = new EC2Client({ region: 'eu-west-1', credentials })
const asMock = mockClient(autoScaling)
const ec2Mock = mockClient(ec2)
const fleet = new AwsFleet({ autoScaling, ec2 })

const TEMPLATE = 'lt-0abc1234def567890'

/** A DescribeAutoScalingGroups group as AWS returns it for a group launching from `$Latest`. */
function group(overrides: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'web',
    AutoScalingGroupARN: 'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:uuid:autoScalingGroupName/web',
    LaunchTemplate: { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web', Version: '$Latest' },
    MinSize: 1,
    MaxSize: 6,
    DesiredCapacity: 3,
    DefaultCooldown: 300,
    AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
    HealthCheckType: 'ELB',
    HealthCheckGracePeriod: 300,
    CreatedTime: new Date('2026-01-01T00:00:00Z'),
    Tags: [
      { ResourceId: 'web', ResourceType: 'auto-scaling-group', Key: 'deckhand:service', Value: 'web-svc', PropagateAtLaunch: false },
      { ResourceId: 'web', ResourceType: 'auto-scaling-group', Key: 'team', Value: 'core', PropagateAtLaunch: true },
    ],
    Instances: [
      { InstanceId: 'i-0000000000000000a', InstanceType: 't3.micro', AvailabilityZone: 'eu-west-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', LaunchTemplate: { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web', Version: '$Latest' }, ProtectedFromScaleIn: false },
      { InstanceId: 'i-0000000000000000b', InstanceType: 't3.micro', AvailabilityZone: 'eu-west-1b', LifecycleState: 'InService', HealthStatus: 'Healthy', LaunchTemplate: { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web', Version: '6' }, ProtectedFromScaleIn: false },
      { InstanceId: 'i-0000000000000000c', InstanceType: 't3.micro', AvailabilityZone: 'eu-west-1a', LifecycleState: 'Pending:Wait', HealthStatus: 'Healthy', LaunchTemplate: { LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web', Version: '$Latest' }, ProtectedFromScaleIn: false },
      { InstanceId: 'i-0000000000000000d', InstanceType: 't3.micro', AvailabilityZone: 'eu-west-1b', LifecycleState: 'SomethingNew' as LifecycleState, HealthStatus: 'Healthy', ProtectedFromScaleIn: false },
    ],
    ...overrides,
  }
}

function ec2Instance(id: string, launch: string, tags: Record<string, string>, imageId = 'ami-0old'): Instance {
  return {
    InstanceId: id,
    ImageId: imageId,
    InstanceType: 't3.micro',
    LaunchTime: new Date(launch),
    State: { Code: 16, Name: 'running' },
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  }
}

const described = [
  ec2Instance('i-0000000000000000a', '2026-03-01T10:00:00Z', {
    'aws:autoscaling:groupName': 'web',
    'aws:ec2launchtemplate:id': TEMPLATE,
    'aws:ec2launchtemplate:version': '6',
    'deckhand:state': 'ready',
    'deckhand:revision': 'r1abc',
    'deckhand:ready-at': '2026-03-01T10:01:30Z',
  }),
  ec2Instance('i-0000000000000000b', '2026-03-01T10:05:00Z', { 'aws:autoscaling:groupName': 'web', 'deckhand:state': 'Ready', 'deckhand:ready-at': '2026-02-30T00:00:00Z' }),
  ec2Instance('i-0000000000000000c', '2026-03-02T09:00:00Z', { 'aws:ec2launchtemplate:id': TEMPLATE, 'aws:ec2launchtemplate:version': '7', 'deckhand:state': 'booting' }, 'ami-0new'),
  ec2Instance('i-0000000000000000d', '2026-03-02T09:00:00Z', {}),
]

function latestIs(version: number, imageId: string): void {
  ec2Mock.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [{ LaunchTemplateId: TEMPLATE, LaunchTemplateName: 'web', VersionNumber: version, DefaultVersion: false, LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.micro' } }],
  })
}

beforeEach(() => {
  asMock.reset()
  ec2Mock.reset()
})

describe('view', () => {
  beforeEach(() => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] })
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ ReservationId: 'r-1', Instances: described }] })
    latestIs(7, 'ami-0new')
  })

  it('builds the gate view from realistic answers', async () => {
    const view = await fleet.view('web')
    expect(view).toEqual({
      name: 'web',
      desiredCapacity: 3,
      currentLaunchTemplate: { id: TEMPLATE, version: '7' },
      currentImageId: 'ami-0new',
      instances: [
        {
          id: 'i-0000000000000000a',
          launchTime: Date.parse('2026-03-01T10:00:00Z'),
          lifecycleState: 'InService',
          health: 'Healthy',
          state: 'ready',
          revision: 'r1abc',
          readyAt: Date.parse('2026-03-01T10:01:30Z'),
          launchTemplate: { id: TEMPLATE, version: '6' },
          imageId: 'ami-0old',
        },
        // No EC2 template tags: the group's own record, a number here.
        // "Ready" and an impossible date read as no state and no ready-at.
        { id: 'i-0000000000000000b', launchTime: Date.parse('2026-03-01T10:05:00Z'), lifecycleState: 'InService', health: 'Healthy', launchTemplate: { id: TEMPLATE, version: '6' }, imageId: 'ami-0old' },
        { id: 'i-0000000000000000c', launchTime: Date.parse('2026-03-02T09:00:00Z'), lifecycleState: 'Pending:Wait', health: 'Healthy', state: 'booting', launchTemplate: { id: TEMPLATE, version: '7' }, imageId: 'ami-0new' },
        // i-…d is left out: its lifecycle state does not parse.
      ],
    })
  })

  it('makes one DescribeInstances call, filtered by instance-id and paginated', async () => {
    await fleet.view('web')
    expect(asMock.commandCalls(DescribeAutoScalingGroupsCommand).map((call) => call.args[0].input)).toEqual([{ AutoScalingGroupNames: ['web'] }])
    expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)).toEqual([
      { Filters: [{ Name: 'instance-id', Values: ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c', 'i-0000000000000000d'] }], MaxResults: 1000 },
    ])
  })

  it('resolves $Latest with DescribeLaunchTemplateVersions', async () => {
    await fleet.view('web')
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand).map((call) => call.args[0].input)).toEqual([
      { LaunchTemplateId: TEMPLATE, Versions: ['$Latest'], ResolveAlias: true },
    ])
  })

  it('follows NextToken and joins the pages', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: described.slice(0, 2) }], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [{ Instances: described.slice(2) }] })
    const view = await fleet.view('web')
    expect(view.instances.map((instance) => instance.id)).toEqual(['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c'])
    const inputs = ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)
    expect(inputs[1]).toMatchObject({ NextToken: 'page-2', MaxResults: 1000 })
  })

  it('asks about a group of more than 200 by its tag, a thousand a page', async () => {
    const ids = Array.from({ length: 2450 }, (_, i) => `i-${String(i).padStart(17, '0')}`)
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group({ DesiredCapacity: 2450, Instances: ids.map((InstanceId) => ({ InstanceId, AvailabilityZone: 'eu-west-1a', LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false })) })],
    })
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      const from = Number(input.NextToken ?? '0')
      const page = ids.slice(from, from + 1000)
      return { Reservations: [{ Instances: page.map((id) => ec2Instance(id, '2026-03-01T00:00:00Z', {})) }], ...(from + 1000 < ids.length ? { NextToken: String(from + 1000) } : {}) }
    })
    const view = await fleet.view('web')
    expect(view.instances).toHaveLength(2450)
    const inputs = ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)
    expect(inputs).toHaveLength(3)
    expect(inputs[0]?.Filters?.[0]).toEqual({ Name: 'tag:aws:autoscaling:groupName', Values: ['web'] })
    expect(inputs.map((input) => input.MaxResults)).toEqual([1000, 1000, 1000])
  })

  it('leaves out an instance EC2 does not describe yet', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: described.slice(1) }] })
    const view = await fleet.view('web')
    expect(view.instances.map((instance) => instance.id)).toEqual(['i-0000000000000000b', 'i-0000000000000000c'])
  })

  it('reads a mixed instances policy template, by name', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        group({
          LaunchTemplate: undefined,
          MixedInstancesPolicy: {
            LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'web', Version: '$Default' }, Overrides: [{ InstanceType: 't3.micro' }, { InstanceType: 't3a.micro' }] },
          },
        }),
      ],
    })
    const view = await fleet.view('web')
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)[0]?.args[0].input).toEqual({ LaunchTemplateName: 'web', Versions: ['$Default'], ResolveAlias: true })
    expect(view.currentLaunchTemplate).toEqual({ id: TEMPLATE, version: '7' })
    expect(view.currentImageId).toBe('ami-0new')
  })

  it('with overrides naming other templates, compares only instances of the main one, and no image', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        group({
          LaunchTemplate: undefined,
          MixedInstancesPolicy: {
            LaunchTemplate: {
              LaunchTemplateSpecification: { LaunchTemplateId: TEMPLATE, Version: '$Latest' },
              Overrides: [{ InstanceType: 'm7g.large', LaunchTemplateSpecification: { LaunchTemplateId: 'lt-arm', Version: '$Latest' } }, { InstanceType: 'm7i.large' }],
            },
          },
        }),
      ],
    })
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            ec2Instance('i-0000000000000000a', '2026-03-01T10:00:00Z', { 'aws:ec2launchtemplate:id': 'lt-arm', 'aws:ec2launchtemplate:version': '3' }, 'ami-0arm'),
            ec2Instance('i-0000000000000000b', '2026-03-01T10:00:00Z', { 'aws:ec2launchtemplate:id': TEMPLATE, 'aws:ec2launchtemplate:version': '6' }),
          ],
        },
      ],
    })
    const view = await fleet.view('web')
    expect(view.currentImageId).toBeUndefined()
    expect(view.instances.find((instance) => instance.id === 'i-0000000000000000a')?.launchTemplate).toBeUndefined()
    expect(view.instances.find((instance) => instance.id === 'i-0000000000000000b')?.launchTemplate).toEqual({ id: TEMPLATE, version: '6' })
  })

  it('leaves the image out when it is not an AMI id', async () => {
    latestIs(7, 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64')
    expect((await fleet.view('web')).currentImageId).toBeUndefined()
  })

  it('a launch configuration group has no current template, and makes no template call', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ LaunchTemplate: undefined, LaunchConfigurationName: 'web-lc' })] })
    const view = await fleet.view('web')
    expect(view.currentLaunchTemplate).toBeUndefined()
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)).toHaveLength(0)
  })

  it('an empty group makes no DescribeInstances call', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ Instances: [] })] })
    expect((await fleet.view('web')).instances).toEqual([])
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0)
  })

  it('an unknown group says so', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] })
    await expect(fleet.view('nope')).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', message: expect.stringContaining('Auto Scaling group nope does not exist') })
  })

  it('a throttled DescribeInstances is a retryable AWS_UNAVAILABLE', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(serviceError('RequestLimitExceeded', { status: 503 }))
    await expect(fleet.view('web')).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true, message: expect.stringContaining('ec2:DescribeInstances') })
  })
})

describe('group', () => {
  it('reads tags, desired capacity, the resolved template and image, and hooks by transition', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] })
    latestIs(7, 'ami-0new')
    asMock.on(DescribeLifecycleHooksCommand).resolves({
      LifecycleHooks: [
        { LifecycleHookName: 'launch', AutoScalingGroupName: 'web', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 600, DefaultResult: 'ABANDON' },
        { LifecycleHookName: 'drain', AutoScalingGroupName: 'web', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 900, DefaultResult: 'CONTINUE' },
      ],
    })
    expect(await fleet.group('web')).toEqual({
      name: 'web',
      tags: { 'deckhand:service': 'web-svc', team: 'core' },
      desiredCapacity: 3,
      launchTemplate: { id: TEMPLATE, version: '7' },
      imageId: 'ami-0new',
      hooks: { launching: ['launch'], terminating: ['drain'] },
      heartbeatTimeouts: { launch: 600, drain: 900 },
    })
    expect(asMock.commandCalls(DescribeLifecycleHooksCommand)[0]?.args[0].input).toEqual({ AutoScalingGroupName: 'web' })
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)[0]?.args[0].input).toEqual({ LaunchTemplateId: TEMPLATE, Versions: ['$Latest'], ResolveAlias: true })
  })

  it('reads a numbered version once, and $Latest every time', async () => {
    const fresh = new AwsFleet({ autoScaling, ec2 })
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] })
    latestIs(5, 'ami-0five')
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ LaunchTemplate: { LaunchTemplateId: TEMPLATE, Version: '5' } })] })
    await fresh.group('web')
    expect((await fresh.group('web')).imageId).toBe('ami-0five')
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)).toHaveLength(1)
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] })
    await fresh.group('web')
    await fresh.group('web')
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)).toHaveLength(3)
  })

  it('a group with no Version asks for $Default', async () => {
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ LaunchTemplate: { LaunchTemplateId: TEMPLATE } })] })
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] })
    latestIs(2, 'ami-0x')
    expect((await fleet.group('web')).hooks).toEqual({ launching: [], terminating: [] })
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)[0]?.args[0].input.Versions).toEqual(['$Default'])
  })
})

describe('launch', () => {
  it("answers the drift check's question with one DescribeAutoScalingGroups once a numbered version is known: no hooks, no template call", async () => {
    const fresh = new AwsFleet({ autoScaling, ec2 })
    latestIs(5, 'ami-0five')
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ LaunchTemplate: { LaunchTemplateId: TEMPLATE, Version: '5' } })] })
    expect(await fresh.launch('web')).toEqual({ desiredCapacity: 3, launchTemplate: { id: TEMPLATE, version: '5' }, imageId: 'ami-0five' })
    expect(await fresh.launch('web')).toEqual({ desiredCapacity: 3, launchTemplate: { id: TEMPLATE, version: '5' }, imageId: 'ami-0five' })
    expect(asMock.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(2)
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)).toHaveLength(1)
    expect(asMock.commandCalls(DescribeLifecycleHooksCommand)).toHaveLength(0)
  })
})

describe('instance calls', () => {
  it('groupOf and lifecycleState read DescribeAutoScalingInstances', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [{ InstanceId: 'i-1', AutoScalingGroupName: 'web', AvailabilityZone: 'eu-west-1a', LifecycleState: 'Terminating:Wait', HealthStatus: 'HEALTHY', ProtectedFromScaleIn: false }],
    })
    expect(await fleet.groupOf('i-1')).toBe('web')
    expect(await fleet.lifecycleState('i-1')).toBe('Terminating:Wait')
    expect(asMock.commandCalls(DescribeAutoScalingInstancesCommand)[0]?.args[0].input).toEqual({ InstanceIds: ['i-1'] })
  })

  it('an instance in no group has neither', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] })
    expect(await fleet.groupOf('i-1')).toBeUndefined()
    expect(await fleet.lifecycleState('i-1')).toBeUndefined()
  })

  it('tagInstance is one CreateTags call', async () => {
    ec2Mock.on(CreateTagsCommand).resolves({})
    await fleet.tagInstance('i-1', { 'deckhand:state': 'ready', 'deckhand:ready-at': '2026-03-01T10:01:30Z' })
    expect(ec2Mock.commandCalls(CreateTagsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Resources: ['i-1'],
        Tags: [
          { Key: 'deckhand:state', Value: 'ready' },
          { Key: 'deckhand:ready-at', Value: '2026-03-01T10:01:30Z' },
        ],
      },
    ])
  })

  it('untagInstance is one DeleteTags of the keys, whatever their values; instanceTags one filtered DescribeInstances', async () => {
    ec2Mock.on(DeleteTagsCommand).resolves({})
    await fleet.untagInstance('i-1', ['deckhand:reason'])
    expect(ec2Mock.commandCalls(DeleteTagsCommand).map((call) => call.args[0].input)).toEqual([{ Resources: ['i-1'], Tags: [{ Key: 'deckhand:reason' }] }])
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', Tags: [{ Key: 'deckhand:state', Value: 'ready' }] }] }] })
    expect(await fleet.instanceTags('i-1')).toEqual({ 'deckhand:state': 'ready' })
    expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.Filters)).toEqual([[{ Name: 'instance-id', Values: ['i-1'] }]])
  })

  it('terminate keeps the desired capacity', async () => {
    asMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({})
    await fleet.terminate('i-1')
    expect(asMock.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((call) => call.args[0].input)).toEqual([
      { InstanceId: 'i-1', ShouldDecrementDesiredCapacity: false },
    ])
  })

  it('setUnhealthy ignores the grace period', async () => {
    asMock.on(SetInstanceHealthCommand).resolves({})
    await fleet.setUnhealthy('i-1')
    expect(asMock.commandCalls(SetInstanceHealthCommand).map((call) => call.args[0].input)).toEqual([
      { InstanceId: 'i-1', HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false },
    ])
  })

  it('completes lifecycle actions and records heartbeats', async () => {
    asMock.on(CompleteLifecycleActionCommand).resolves({})
    asMock.on(RecordLifecycleActionHeartbeatCommand).resolves({})
    await fleet.completeLifecycleAction('web', 'launch', 'i-1', 'ABANDON')
    await fleet.recordHeartbeat('web', 'drain', 'i-1')
    expect(asMock.commandCalls(CompleteLifecycleActionCommand)[0]?.args[0].input).toEqual({ AutoScalingGroupName: 'web', LifecycleHookName: 'launch', InstanceId: 'i-1', LifecycleActionResult: 'ABANDON' })
    expect(asMock.commandCalls(RecordLifecycleActionHeartbeatCommand)[0]?.args[0].input).toEqual({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', InstanceId: 'i-1' })
  })

  it('AccessDenied on terminate names the action the role needs', async () => {
    asMock.on(TerminateInstanceInAutoScalingGroupCommand).rejects(serviceError('AccessDenied', { status: 403, message: 'User is not authorized' }))
    await expect(fleet.terminate('i-1')).rejects.toMatchObject({
      code: 'AWS_UNAVAILABLE',
      retryable: false,
      message: "The instance role is not allowed to call autoscaling:TerminateInstanceInAutoScalingGroup (AccessDenied: User is not authorized); add autoscaling:TerminateInstanceInAutoScalingGroup to the instance role's policy.",
    })
  })

  it('passes the caller signal to the SDK', async () => {
    asMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({})
    const signal = new AbortController().signal
    await fleet.terminate('i-1', signal)
    expect(asMock.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0]?.args).toEqual([expect.anything(), { abortSignal: signal }])
  })
})
