import { MetadataService } from '@aws-sdk/ec2-metadata-service'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, startEmulator, type EmulatedInstance, type Emulator, type EmulatorOptions } from '../support/aws-emulator/index.js'
import { rejection } from './clients.js'

describe('IMDSv2, one server per instance', () => {
  let emulator: Emulator

  async function start(options: EmulatorOptions = {}, group: { hooks?: boolean; tags?: boolean } = {}): Promise<EmulatedInstance> {
    emulator = await startEmulator(options)
    const created = await emulator.createGroup({
      name: 'web',
      desired: 1,
      tags: { 'deckhand:service': 'web' },
      launchTemplate: { imageId: 'ami-00000000000000001', instanceType: 'c7i.xlarge' },
      ...(group.hooks ? { hooks: [{ transition: 'launch' as const }, { transition: 'terminate' as const }] } : {}),
      ...(group.tags === false ? { instanceMetadataTags: false } : {}),
    })
    const instance = created.instances[0]
    if (!instance?.imdsEndpoint) throw new Error('no instance with an IMDS')
    return instance
  }
  afterEach(async () => {
    await emulator.close()
  })

  /** The SDK's own client, with a timeout (its default has none) and no slow retries. */
  const metadata = (instance: EmulatedInstance, options: ConstructorParameters<typeof MetadataService>[0] = {}): MetadataService =>
    new MetadataService({ endpoint: instance.imdsEndpoint ?? '', httpOptions: { timeout: 2000 }, retries: 0, ...options })

  it('serves identity through the token flow, the way the SDK asks for it', async () => {
    const instance = await start()
    const imds = metadata(instance)
    expect(await imds.request('/latest/meta-data/instance-id', {})).toBe(instance.instanceId)
    expect(await imds.request('/latest/meta-data/ami-id', {})).toBe('ami-00000000000000001')
    expect(await imds.request('/latest/meta-data/instance-type', {})).toBe('c7i.xlarge')
    expect(await imds.request('/latest/meta-data/local-ipv4', {})).toBe(instance.privateIp)
    expect(await imds.request('/latest/meta-data/placement/region', {})).toBe('eu-west-1')
    expect(await imds.request('/latest/meta-data/placement/availability-zone', {})).toBe(instance.availabilityZone)
    const document = JSON.parse(await imds.request('/latest/dynamic/instance-identity/document', {})) as Record<string, unknown>
    expect(document).toMatchObject({ region: 'eu-west-1', instanceId: instance.instanceId, availabilityZone: instance.availabilityZone, imageId: 'ami-00000000000000001', instanceType: 'c7i.xlarge', privateIp: instance.privateIp })
    // Each MetadataService.request fetched its own token first.
    expect(emulator.calls.count({ service: 'imds', action: '/latest/api/token' })).toBe(7)
  })

  it('answers 401 to a GET without a valid token (IMDSv1 is disabled), and 400 to a token request without a TTL', async () => {
    const instance = await start()
    const endpoint = instance.imdsEndpoint ?? ''
    expect((await fetch(`${endpoint}/latest/meta-data/instance-id`)).status).toBe(401)
    expect((await fetch(`${endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': 'forged' } })).status).toBe(401)
    expect((await fetch(`${endpoint}/latest/api/token`, { method: 'PUT' })).status).toBe(400)
    expect((await fetch(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21601' } })).status).toBe(400)

    const v1 = await rejection(metadata(instance, { disableFetchToken: true }).request('/latest/meta-data/instance-id', {}))
    expect(v1.$metadata?.httpStatusCode).toBe(401)

    const token = await (await fetch(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text()
    const ok = await fetch(`${endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } })
    expect(await ok.text()).toBe(instance.instanceId)
  })

  it('expires tokens after their TTL, on the emulator clock', async () => {
    const clock = new ManualClock()
    const instance = await start({ clock })
    const endpoint = instance.imdsEndpoint ?? ''
    const token = await (await fetch(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text()
    const read = () => fetch(`${endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } })
    expect((await read()).status).toBe(200)
    clock.advance(60_000)
    expect((await read()).status).toBe(401)
  })

  it('answers target-lifecycle-state with 404 until the first transition, then follows it', async () => {
    const clock = new ManualClock()
    // The instance stays Pending for 10 s of emulator time after it booted.
    const instance = await start({ clock, launchDelayMs: 10_000 }, { hooks: true })
    const imds = metadata(instance)
    const state = () => imds.request('/latest/meta-data/autoscaling/target-lifecycle-state', {})

    expect(emulator.instance(instance.instanceId)?.lifecycleState).toBe('Pending')
    expect((await rejection(state())).$metadata?.httpStatusCode).toBe(404)

    clock.advance(10_000)
    await emulator.waitFor(() => emulator.instance(instance.instanceId)?.lifecycleState === 'Pending:Wait')
    expect(await state()).toBe('InService')

    await emulator.terminateInstance(instance.instanceId)
    expect(emulator.instance(instance.instanceId)?.lifecycleState).toBe('Terminating:Wait')
    expect(await state()).toBe('Terminated')
  })

  it('lists instance tags and reads one, live', async () => {
    const instance = await start()
    const imds = metadata(instance)
    expect((await imds.request('/latest/meta-data/tags/instance', {})).split('\n').sort()).toEqual(['aws:autoscaling:groupName', 'deckhand:service'])
    expect(await imds.request('/latest/meta-data/tags/instance/aws:autoscaling:groupName', {})).toBe('web')
    emulator.state.ec2.createTags([instance.instanceId], [{ key: 'deckhand:state', value: 'ready' }])
    expect(await imds.request('/latest/meta-data/tags/instance/deckhand:state', {})).toBe('ready')
    expect((await rejection(imds.request('/latest/meta-data/tags/instance/absent', {}))).$metadata?.httpStatusCode).toBe(404)
  })

  it('answers 404 for tags when the instance does not expose tags in IMDS', async () => {
    const instance = await start({}, { tags: false })
    const error = await rejection(metadata(instance).request('/latest/meta-data/tags/instance', {}))
    expect(error.$metadata?.httpStatusCode).toBe(404)
  })

  it('answers spot/instance-action with 404, then the notice once an interruption is scheduled; the VM dies at the deadline', async () => {
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'))
    const instance = await start({ clock })
    const imds = metadata(instance)
    expect((await rejection(imds.request('/latest/meta-data/spot/instance-action', {}))).$metadata?.httpStatusCode).toBe(404)

    emulator.scheduleSpotInterruption(instance.instanceId)
    expect(JSON.parse(await imds.request('/latest/meta-data/spot/instance-action', {}))).toEqual({ action: 'terminate', time: '2030-01-01T00:02:00Z' })

    clock.advance(120_000)
    await emulator.waitFor(() => emulator.instance(instance.instanceId)?.state === 'terminated')
    const replacement = await emulator.waitFor(() => emulator.instances({ group: 'web' }).find((i) => i.lifecycleState === 'InService'))
    expect(replacement.instanceId).not.toBe(instance.instanceId)
    // A dead VM's metadata service is gone with it.
    await expect(fetch(`${instance.imdsEndpoint ?? ''}/latest/api/token`, { method: 'PUT' })).rejects.toThrow()
  })
})
