import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeTagsCommand,
  ModifyLaunchTemplateCommand,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2'
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator, type EmulatedInstance } from '../support/aws-emulator/index.js'
import { clientsFor, rejection, type Clients } from './clients.js'

describe('EC2 over the ec2 query protocol', () => {
  let emulator: Emulator
  let clients: Clients
  let web: EmulatedInstance[]

  beforeEach(async () => {
    emulator = await startEmulator()
    clients = clientsFor(emulator)
    await emulator.createGroup({ name: 'web', desired: 3, tags: { 'deckhand:service': 'web' }, launchTemplate: { imageId: 'ami-00000000000000001', instanceType: 'm7i.large' } })
    web = await emulator.waitFor(() => {
      const ready = emulator.instances({ group: 'web' }).filter((i) => i.lifecycleState === 'InService')
      return ready.length === 3 ? ready : undefined
    })
  })
  afterEach(async () => {
    clients.destroy()
    await emulator.close()
  })

  const ids = (web: EmulatedInstance[]): string[] => web.map((i) => i.instanceId)

  it('describes instances as EC2 does: reservations, state, placement, private IP, tags', async () => {
    const { Reservations } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [web[0]?.instanceId ?? ''] }))
    const instance = Reservations?.[0]?.Instances?.[0]
    expect(instance).toMatchObject({
      InstanceId: web[0]?.instanceId,
      ImageId: 'ami-00000000000000001',
      InstanceType: 'm7i.large',
      State: { Code: 16, Name: 'running' },
      Placement: { AvailabilityZone: web[0]?.availabilityZone },
      PrivateIpAddress: web[0]?.privateIp,
      MetadataOptions: { HttpTokens: 'required', InstanceMetadataTags: 'enabled' },
    })
    expect(instance?.PrivateIpAddress).toMatch(/^10\.0\.\d+\.\d+$/)
    expect(instance?.LaunchTime).toBeInstanceOf(Date)
    expect(instance?.Tags).toEqual(expect.arrayContaining([{ Key: 'aws:autoscaling:groupName', Value: 'web' }, { Key: 'deckhand:service', Value: 'web' }]))

    const missing = await rejection(clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000000'] })))
    expect(missing.name).toBe('InvalidInstanceID.NotFound')
    const malformed = await rejection(clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['nope'] })))
    expect(malformed.name).toBe('InvalidInstanceID.Malformed')
  })

  it('creates tags and filters instances by tag, instance id and state (with wildcards)', async () => {
    const [a, b] = ids(web)
    await clients.ec2.send(new CreateTagsCommand({ Resources: [a ?? ''], Tags: [{ Key: 'deckhand:state', Value: 'ready' }, { Key: 'deckhand:ready-at', Value: '2030-01-01T00:00:00Z' }] }))
    await clients.ec2.send(new CreateTagsCommand({ Resources: [b ?? ''], Tags: [{ Key: 'deckhand:state', Value: 'booting' }] }))
    expect(emulator.tags(a ?? '')).toMatchObject({ 'deckhand:state': 'ready', 'deckhand:ready-at': '2030-01-01T00:00:00Z' })

    const found = async (filters: { Name: string; Values: string[] }[]): Promise<string[]> => {
      const { Reservations } = await clients.ec2.send(new DescribeInstancesCommand({ Filters: filters }))
      return (Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? '').sort()
    }
    expect(await found([{ Name: 'tag:deckhand:state', Values: ['ready'] }])).toEqual([a])
    expect(await found([{ Name: 'tag:deckhand:state', Values: ['ready', 'booting'] }])).toEqual([a, b].sort())
    expect(await found([{ Name: 'tag:deckhand:state', Values: ['boot*'] }])).toEqual([b])
    expect(await found([{ Name: 'tag-key', Values: ['deckhand:ready-at'] }])).toEqual([a])
    expect(await found([{ Name: 'instance-id', Values: [a ?? ''] }, { Name: 'instance-state-name', Values: ['running'] }])).toEqual([a])
    expect(await found([{ Name: 'tag:aws:autoscaling:groupName', Values: ['web'] }, { Name: 'instance-state-name', Values: ['running', 'pending'] }])).toEqual(ids(web).sort())

    const badFilter = await rejection(clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })))
    expect(badFilter.name).toBe('InvalidParameterValue')
  })

  it('deletes tags, describes tags, and reserves the aws: prefix', async () => {
    const [a] = ids(web)
    await clients.ec2.send(new CreateTagsCommand({ Resources: [a ?? ''], Tags: [{ Key: 'deckhand:state', Value: 'ready' }, { Key: 'temp', Value: 'x' }] }))
    await clients.ec2.send(new DeleteTagsCommand({ Resources: [a ?? ''], Tags: [{ Key: 'temp' }, { Key: 'deckhand:state', Value: 'not-this-value' }] }))
    const { Tags } = await clients.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [a ?? ''] }, { Name: 'key', Values: ['deckhand:*'] }] }))
    expect(Tags).toEqual([
      { ResourceId: a, ResourceType: 'instance', Key: 'deckhand:service', Value: 'web' },
      { ResourceId: a, ResourceType: 'instance', Key: 'deckhand:state', Value: 'ready' },
    ])
    const reserved = await rejection(clients.ec2.send(new CreateTagsCommand({ Resources: [a ?? ''], Tags: [{ Key: 'aws:mine', Value: 'x' }] })))
    expect(reserved.name).toBe('InvalidParameterValue')
    const unknown = await rejection(clients.ec2.send(new CreateTagsCommand({ Resources: ['i-00000000000000000'], Tags: [{ Key: 'k', Value: 'v' }] })))
    expect(unknown.name).toBe('InvalidInstanceID.NotFound')
  })

  it('pages DescribeInstances with MaxResults and NextToken', async () => {
    await emulator.setDesiredCapacity('web', 7)
    const seen: string[] = []
    let pages = 0
    for await (const page of paginateDescribeInstances({ client: clients.ec2, pageSize: 5 }, {})) {
      pages++
      seen.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? ''))
    }
    expect(pages).toBe(2)
    expect(new Set(seen).size).toBe(7)
  })

  it('keeps launch template versions: a new version (a baked AMI) is what the group launches next', async () => {
    const templateId = emulator.group('web')?.launchTemplate.id ?? ''
    const created = await clients.ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: templateId, SourceVersion: '$Latest', LaunchTemplateData: { ImageId: 'ami-00000000000000002' } }))
    expect(created.LaunchTemplateVersion).toMatchObject({ VersionNumber: 2, DefaultVersion: false, LaunchTemplateData: { ImageId: 'ami-00000000000000002', InstanceType: 'm7i.large' } })

    const { LaunchTemplateVersions } = await clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Latest', '$Default'] }))
    expect(LaunchTemplateVersions?.map((v) => [v.VersionNumber, v.DefaultVersion, v.LaunchTemplateData?.ImageId])).toEqual([
      [2, false, 'ami-00000000000000002'],
      [1, true, 'ami-00000000000000001'],
    ])
    const modified = await clients.ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: '2' }))
    expect(modified.LaunchTemplate).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2 })

    const baked = emulator.bakeLaunchTemplateVersion({ group: 'web', imageId: 'ami-00000000000000003' })
    expect(baked.version).toBe(3)
    await emulator.terminateInstance(web[0]?.instanceId ?? '')
    const replacement = await emulator.waitFor(() => emulator.instances({ group: 'web' }).find((i) => i.imageId === 'ami-00000000000000003' && i.lifecycleState === 'InService'))
    expect(replacement.launchTemplate).toEqual({ id: templateId, name: 'web-template', version: 3 })

    const missing = await rejection(clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['9'] })))
    expect(missing.name).toBe('InvalidLaunchTemplateId.VersionNotFound')
    const noTemplate = await rejection(clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-00000000000000000' })))
    expect(noTemplate.name).toBe('InvalidLaunchTemplateId.NotFound')
  })

  it('keeps terminated instances visible as terminated', async () => {
    const [a] = ids(web)
    await emulator.terminateInstance(a ?? '')
    await emulator.waitFor(() => emulator.instance(a ?? '')?.state === 'terminated')
    const { Reservations } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [a ?? ''] }))
    expect(Reservations?.[0]?.Instances?.[0]?.State).toEqual({ Code: 48, Name: 'terminated' })
  })
})

describe('ECR GetAuthorizationToken over awsJson1_1', () => {
  it('returns a base64 AWS:<password> token, its expiry and the configured proxyEndpoint', async () => {
    const emulator = await startEmulator({ ecr: { proxyEndpoint: 'http://127.0.0.1:5000', password: 's3cret' } })
    const clients = clientsFor(emulator)
    try {
      const before = Date.now()
      const { authorizationData } = await clients.ecr.send(new GetAuthorizationTokenCommand({}))
      const data = authorizationData?.[0]
      expect(Buffer.from(data?.authorizationToken ?? '', 'base64').toString()).toBe('AWS:s3cret')
      expect(data?.proxyEndpoint).toBe('http://127.0.0.1:5000')
      expect(data?.expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 12 * 3600_000 - 1000)
      expect(emulator.ecr.password).toBe('s3cret')
    } finally {
      clients.destroy()
      await emulator.close()
    }
  })
})
