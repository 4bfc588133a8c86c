import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling'
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2'
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { GetParameterCommand, GetParametersCommand } from '@aws-sdk/client-ssm'
import { MetadataService } from '@aws-sdk/ec2-metadata-service'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock, startEmulator, type Emulator, type EmulatorOptions } from '../support/aws-emulator/index.js'
import { clientsFor, rejection, type Clients } from './clients.js'

describe('fault injection', () => {
  let emulator: Emulator
  let clients: Clients

  async function start(options: EmulatorOptions = {}, maxAttempts = 3): Promise<void> {
    emulator = await startEmulator(options)
    clients = clientsFor(emulator, { maxAttempts })
    emulator.putParameter('/deckhand/web/manifest', 'containers: {}')
    await emulator.createGroup({ name: 'web', desired: 1 })
  }
  afterEach(async () => {
    clients.destroy()
    await emulator.close()
  })

  describe('throttling, in each service’s own error', () => {
    beforeEach(() => start({}, 1))

    it('gives the SDK ThrottlingException, Throttling and RequestLimitExceeded, all classified as throttles', async () => {
      emulator.faults.throttle('ssm')
      emulator.faults.throttle('autoscaling')
      emulator.faults.throttle('ec2')
      emulator.faults.throttle('ecr')
      const ssm = await rejection(clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' })))
      const asg = await rejection(clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({})))
      const ec2 = await rejection(clients.ec2.send(new DescribeInstancesCommand({})))
      const ecr = await rejection(clients.ecr.send(new GetAuthorizationTokenCommand({})))
      expect([ssm.name, asg.name, ec2.name, ecr.name]).toEqual(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'ThrottlingException'])
      expect(ec2.$metadata?.httpStatusCode).toBe(503)
      expect(clients.retry.seen).toEqual(['THROTTLING', 'THROTTLING', 'THROTTLING', 'THROTTLING'])
    })
  })

  it('is retried by the SDK until the fault has been applied `times` times', async () => {
    await start()
    emulator.faults.throttle('autoscaling', { action: 'DescribeAutoScalingGroups', times: 2 })
    const result = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))
    expect(result.AutoScalingGroups?.[0]?.AutoScalingGroupName).toBe('web')
    expect(result.$metadata.attempts).toBe(3)
    expect(emulator.calls.list({ service: 'autoscaling' }).map((c) => c.outcome)).toEqual(['Throttling', 'Throttling', 'ok'])
  })

  it('scopes a fault to one action', async () => {
    await start({}, 1)
    emulator.faults.throttle('ssm', { action: 'GetParameters' })
    expect((await rejection(clients.ssm.send(new GetParametersCommand({ Names: ['/deckhand/web/manifest'] })))).name).toBe('ThrottlingException')
    const single = await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))
    expect(single.Parameter?.Value).toBe('containers: {}')
  })

  it('answers 500 and 503 with each service’s code; the SDK treats them as transient and retries', async () => {
    await start({}, 1)
    emulator.faults.serverError('ssm', { times: 1 })
    emulator.faults.serverError('ec2', { status: 503, times: 1 })
    emulator.faults.serverError('autoscaling', { status: 503, times: 1 })
    const ssm = await rejection(clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' })))
    const ec2 = await rejection(clients.ec2.send(new DescribeInstancesCommand({})))
    const asg = await rejection(clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({})))
    expect([ssm.name, ssm.$metadata?.httpStatusCode]).toEqual(['InternalServerError', 500])
    expect([ec2.name, ec2.$metadata?.httpStatusCode]).toEqual(['Unavailable', 503])
    expect([asg.name, asg.$metadata?.httpStatusCode]).toEqual(['ServiceUnavailable', 503])
    expect(clients.retry.seen).toEqual(['TRANSIENT', 'TRANSIENT', 'TRANSIENT'])
  })

  it('rate-limits a service like an AWS quota: a burst, then throttles', async () => {
    await start({}, 1)
    const limit = emulator.faults.rateLimit('ssm', { perSecond: 0.1, burst: 3 }, { action: 'GetParameter' })
    const outcomes = []
    for (let i = 0; i < 5; i++) {
      outcomes.push(await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' })).then(() => 'ok', (e: Error) => e.name))
    }
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ThrottlingException', 'ThrottlingException'])
    expect(limit.hits).toBe(2)
  })

  it('adds latency before answering', async () => {
    await start()
    emulator.faults.latency('ssm', 150, { times: 1 })
    const started = performance.now()
    await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('resets connections during an outage: the SDK sees a network error, retries, and recovers after it', async () => {
    await start({}, 2)
    emulator.faults.outage('ec2', { times: 1 })
    const result = await clients.ec2.send(new DescribeInstancesCommand({}))
    expect(result.$metadata.attempts).toBe(2)
    expect(clients.retry.seen).toEqual(['TRANSIENT'])

    const outage = emulator.faults.outage('ec2')
    const error = await rejection(clients.ec2.send(new DescribeInstancesCommand({})))
    expect(error.code ?? error.name).toMatch(/ECONNRESET|socket hang up/i)
    await outage.clear()
    await clients.ec2.send(new DescribeInstancesCommand({}))
  })

  it('refuses connections during a `refuse` outage, and listens again on the same port after it', async () => {
    await start({}, 1)
    const outage = emulator.faults.outage('ssm', { mode: 'refuse' })
    const error = await rejection(clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' })))
    expect(error.code).toBe('ECONNREFUSED')
    await outage.clear()
    const recovered = await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))
    expect(recovered.Parameter?.Version).toBe(1)
  })

  it('ends a fault after its duration, on the emulator clock', async () => {
    const clock = new ManualClock()
    await start({ clock }, 1)
    const fault = emulator.faults.throttle('ssm', { durationMs: 30_000 })
    expect((await rejection(clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' })))).name).toBe('ThrottlingException')
    clock.advance(30_000)
    expect(fault.active).toBe(false)
    await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))
  })

  it('throttles one instance’s IMDS with HTTP 429, or drops its connections', async () => {
    await start()
    const [instance] = emulator.instances({ group: 'web' })
    const imds = new MetadataService({ endpoint: instance?.imdsEndpoint ?? '', httpOptions: { timeout: 2000 }, retries: 0 })
    emulator.faults.throttle('imds', { instanceId: instance?.instanceId ?? '', action: '/latest/meta-data/instance-id', times: 1 })
    expect((await rejection(imds.request('/latest/meta-data/instance-id', {}))).$metadata?.httpStatusCode).toBe(429)
    expect(await imds.request('/latest/meta-data/instance-id', {})).toBe(instance?.instanceId)

    // The token request is dropped; the SDK then falls back to IMDSv1 (no AWS_EC2_METADATA_V1_DISABLED
    // here), which an instance with HttpTokens=required answers with 401.
    emulator.faults.outage('imds', { instanceId: instance?.instanceId ?? '', times: 1 })
    const error = await rejection(imds.request('/latest/meta-data/instance-id', {}))
    expect(error.$metadata?.httpStatusCode).toBe(401)
    expect(emulator.calls.list({ service: 'imds' }).slice(-2).map((c) => [c.action, c.outcome])).toEqual([
      ['/latest/api/token', 'reset'],
      ['/latest/meta-data/instance-id', '401'],
    ])
  })
})

describe('call counters', () => {
  it('count calls per service and action, attribute them to the calling instance, and measure peak rates', async () => {
    const emulator = await startEmulator()
    try {
      emulator.putParameter('/deckhand/web/manifest', 'm')
      const [instance] = (await emulator.createGroup({ name: 'web', desired: 1 })).instances
      const asInstance = clientsFor(emulator, { instanceId: instance?.instanceId ?? '' })
      const anonymous = clientsFor(emulator)
      try {
        await Promise.all([1, 2, 3].map(() => asInstance.ssm.send(new GetParametersCommand({ Names: ['/deckhand/web/manifest'] }))))
        await anonymous.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))
        expect(emulator.calls.count({ service: 'ssm' })).toBe(4)
        expect(emulator.calls.count({ service: 'ssm', action: 'GetParameters', instanceId: instance?.instanceId ?? '' })).toBe(3)
        expect(emulator.calls.count({ service: 'ssm', action: 'GetParameter' })).toBe(1)
        expect(emulator.calls.peakRate({ service: 'ssm' })).toBe(4)
        emulator.calls.reset()
        expect(emulator.calls.count()).toBe(0)
        await emulator.waitFor(() => emulator.calls.count() === 0)
      } finally {
        asInstance.destroy()
        anonymous.destroy()
      }
    } finally {
      await emulator.close()
    }
  })
})
