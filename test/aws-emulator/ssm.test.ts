import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
  paginateGetParametersByPath,
} from '@aws-sdk/client-ssm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../support/aws-emulator/index.js'
import { clientsFor, rejection, type Clients } from './clients.js'

describe('SSM Parameter Store over awsJson1_1', () => {
  let emulator: Emulator
  let clients: Clients

  beforeEach(async () => {
    emulator = await startEmulator()
    clients = clientsFor(emulator)
  })
  afterEach(async () => {
    clients.destroy()
    await emulator.close()
  })

  it('puts and gets a parameter, counting versions up on each overwrite', async () => {
    const first = await clients.ssm.send(new PutParameterCommand({ Name: '/deckhand/web/version', Value: '1.0.0', Type: 'String' }))
    expect(first).toMatchObject({ Version: 1, Tier: 'Standard' })
    const second = await clients.ssm.send(new PutParameterCommand({ Name: '/deckhand/web/version', Value: '1.1.0', Overwrite: true }))
    expect(second.Version).toBe(2)

    const { Parameter } = await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/version' }))
    expect(Parameter).toMatchObject({ Name: '/deckhand/web/version', Type: 'String', Value: '1.1.0', Version: 2, DataType: 'text' })
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date)
    expect(Parameter?.ARN).toBe('arn:aws:ssm:eu-west-1:123456789012:parameter/deckhand/web/version')

    const old = await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/version:1' }))
    expect(old.Parameter).toMatchObject({ Value: '1.0.0', Version: 1, Selector: ':1' })
  })

  it('refuses to overwrite without Overwrite, as ParameterAlreadyExists', async () => {
    emulator.putParameter('/deckhand/web/manifest', 'containers: {}')
    const error = await rejection(clients.ssm.send(new PutParameterCommand({ Name: '/deckhand/web/manifest', Value: 'x', Type: 'String' })))
    expect(error.name).toBe('ParameterAlreadyExists')
    expect(emulator.parameter('/deckhand/web/manifest')?.version).toBe(1)
  })

  it('rejects a Standard-tier value over 4 KB, as SSM does', async () => {
    const error = await rejection(clients.ssm.send(new PutParameterCommand({ Name: '/big', Value: 'x'.repeat(4097), Type: 'String' })))
    expect(error.name).toBe('ValidationException')
    const advanced = await clients.ssm.send(new PutParameterCommand({ Name: '/big', Value: 'x'.repeat(4097), Type: 'String', Tier: 'Advanced' }))
    expect(advanced.Tier).toBe('Advanced')
  })

  it('raises ParameterNotFound for a missing name, without retrying it', async () => {
    const error = await rejection(clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/nope/manifest' })))
    expect(error.name).toBe('ParameterNotFound')
    expect(error.$metadata?.httpStatusCode).toBe(400)
    expect(clients.retry.seen).toEqual(['CLIENT_ERROR'])
    expect(emulator.calls.count({ service: 'ssm', action: 'GetParameter' })).toBe(1)
  })

  it('returns SecureString values only WithDecryption, else an opaque ciphertext', async () => {
    emulator.putParameter('/deckhand/web/secrets/db-password', 'hunter2', { type: 'SecureString' })
    const hidden = await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/secrets/db-password' }))
    expect(hidden.Parameter?.Type).toBe('SecureString')
    expect(hidden.Parameter?.Value).not.toContain('hunter2')
    expect(hidden.Parameter?.Value).toMatch(/^AQICAH/)
    const shown = await clients.ssm.send(new GetParameterCommand({ Name: '/deckhand/web/secrets/db-password', WithDecryption: true }))
    expect(shown.Parameter?.Value).toBe('hunter2')
  })

  it('GetParameters returns versions, lists unknown names as InvalidParameters, and takes at most 10 names', async () => {
    emulator.putParameter('/deckhand/web/manifest', 'a')
    emulator.putParameter('/deckhand/web/manifest', 'b')
    emulator.putParameter('/deckhand/web/version', '2.0')
    const result = await clients.ssm.send(new GetParametersCommand({ Names: ['/deckhand/web/manifest', '/deckhand/web/version', '/deckhand/web/missing'] }))
    expect(result.Parameters?.map((p) => [p.Name, p.Version])).toEqual([['/deckhand/web/manifest', 2], ['/deckhand/web/version', 1]])
    expect(result.InvalidParameters).toEqual(['/deckhand/web/missing'])

    const names = Array.from({ length: 11 }, (_, i) => `/p${i}`)
    const error = await rejection(clients.ssm.send(new GetParametersCommand({ Names: names })))
    expect(error.name).toBe('ValidationException')
    expect(error.message).toMatch(/less than or equal to 10/)
  })

  it('GetParametersByPath honours Recursive and pages with NextToken (MaxResults at most 10)', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) emulator.putParameter(`/deckhand/web/${name}`, name)
    emulator.putParameter('/deckhand/web/secrets/x', 'deep', { type: 'SecureString' })
    emulator.putParameter('/deckhand/other/a', 'elsewhere')

    const shallow: string[] = []
    for await (const page of paginateGetParametersByPath({ client: clients.ssm, pageSize: 2 }, { Path: '/deckhand/web' })) {
      expect(page.Parameters?.length ?? 0).toBeLessThanOrEqual(2)
      shallow.push(...(page.Parameters ?? []).map((p) => p.Name ?? ''))
    }
    expect(shallow).toEqual(['/deckhand/web/a', '/deckhand/web/b', '/deckhand/web/c', '/deckhand/web/d', '/deckhand/web/e'])
    expect(emulator.calls.count({ action: 'GetParametersByPath' })).toBe(3)

    const deep = await clients.ssm.send(new GetParametersByPathCommand({ Path: '/deckhand/web/', Recursive: true, WithDecryption: true }))
    expect(deep.Parameters?.map((p) => p.Name)).toContain('/deckhand/web/secrets/x')
    expect(deep.Parameters?.find((p) => p.Name === '/deckhand/web/secrets/x')?.Value).toBe('deep')
    expect(deep.NextToken).toBeUndefined()

    const tooMany = await rejection(clients.ssm.send(new GetParametersByPathCommand({ Path: '/deckhand', MaxResults: 11 })))
    expect(tooMany.name).toBe('ValidationException')
    const badToken = await rejection(clients.ssm.send(new GetParametersByPathCommand({ Path: '/deckhand', NextToken: 'garbage' })))
    expect(badToken.name).toBe('InvalidNextToken')
  })

  it('deletes a parameter', async () => {
    emulator.putParameter('/tmp/x', '1')
    await clients.ssm.send(new DeleteParameterCommand({ Name: '/tmp/x' }))
    expect(emulator.parameter('/tmp/x')).toBeUndefined()
    expect((await rejection(clients.ssm.send(new DeleteParameterCommand({ Name: '/tmp/x' })))).name).toBe('ParameterNotFound')
  })

  it('throttles with ThrottlingException, which the SDK classifies and retries by itself', async () => {
    emulator.putParameter('/deckhand/web/manifest', 'm')
    const throttle = emulator.faults.throttle('ssm', { action: 'GetParameters', times: 2 })
    const result = await clients.ssm.send(new GetParametersCommand({ Names: ['/deckhand/web/manifest'] }))
    expect(result.Parameters?.[0]?.Value).toBe('m')
    expect(result.$metadata.attempts).toBe(3)
    expect(clients.retry.seen).toEqual(['THROTTLING', 'THROTTLING'])
    expect(throttle.hits).toBe(2)
    expect(emulator.calls.count({ service: 'ssm', action: 'GetParameters', outcome: 'ThrottlingException' })).toBe(2)
  })

  it('is retried by the SDK standard retry strategy too (no custom strategy)', async () => {
    emulator.putParameter('/deckhand/web/manifest', 'm')
    emulator.faults.throttle('ssm', { times: 1 })
    const plain = new SSMClient({ ...emulator.clientConfig('ssm'), maxAttempts: 2 })
    try {
      const result = await plain.send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))
      expect(result.$metadata.attempts).toBe(2)
    } finally {
      plain.destroy()
    }
  })
})
