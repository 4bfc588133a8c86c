import { GetParametersCommand, PutParameterCommand, SSMClient, type GetParametersCommandInput } from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SsmConfigStore } from '../../../src/adapters/aws/ssm-config-store.js'
import { DeckhandError } from '../../../src/core/errors.js'
import { serviceError } from './sdk-errors.js'

const ssm = new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } })
const mock = mockClient(ssm)
const store = new SsmConfigStore({ ssm })

/** An SSM that holds these parameters and answers GetParameters as the real one does. */
function holding(parameters: Record<string, { value: string; version: number }>): void {
  mock.on(GetParametersCommand).callsFake((input: GetParametersCommandInput) => {
    const names = input.Names ?? []
    return {
      Parameters: names.flatMap((name) => {
        const parameter = parameters[name]
        return parameter === undefined ? [] : [{ Name: name, Type: 'String', Value: parameter.value, Version: parameter.version }]
      }),
      InvalidParameters: names.filter((name) => parameters[name] === undefined),
    }
  })
}

function getCalls(): GetParametersCommandInput[] {
  return mock.commandCalls(GetParametersCommand).map((call) => call.args[0].input)
}

beforeEach(() => mock.reset())
afterEach(() => mock.reset())

describe('load', () => {
  it('reads manifest and version in one GetParameters call, without decryption', async () => {
    holding({ '/deckhand/web/manifest': { value: 'containers: {}', version: 4 }, '/deckhand/web/version': { value: '1.2.3', version: 9 } })
    const config = await store.load('web')
    expect(config).toEqual({ manifest: { value: 'containers: {}', version: 4 }, release: { value: '1.2.3', version: 9 } })
    expect(getCalls()).toEqual([{ Names: ['/deckhand/web/manifest', '/deckhand/web/version'], WithDecryption: false }])
  })

  it('has no release when the version parameter does not exist', async () => {
    holding({ '/deckhand/web/manifest': { value: 'containers: {}', version: 1 } })
    const config = await store.load('web')
    expect(config).toEqual({ manifest: { value: 'containers: {}', version: 1 } })
    expect('release' in config).toBe(false)
  })

  it('a missing manifest is SERVICE_UNKNOWN, in one sentence', async () => {
    holding({ '/deckhand/web/version': { value: '1', version: 1 } })
    const error = await store.load('web').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DeckhandError)
    expect(error).toMatchObject({
      code: 'SERVICE_UNKNOWN',
      retryable: false,
      message: 'SSM parameter /deckhand/web/manifest does not exist; create it (see README) or tag the group with deckhand:service=<name>.',
    })
  })

  it('so is a ParameterNotFound thrown instead of listed', async () => {
    mock.on(GetParametersCommand).rejects(serviceError('ParameterNotFound'))
    await expect(store.load('web')).rejects.toMatchObject({
      code: 'SERVICE_UNKNOWN',
      message: 'SSM parameter /deckhand/web/manifest does not exist; create it (see README) or tag the group with deckhand:service=<name>.',
    })
  })

  it('a service name SSM rejects says so', async () => {
    mock.on(GetParametersCommand).rejects(serviceError('ValidationException'))
    await expect(store.load('my web')).rejects.toMatchObject({ code: 'SERVICE_UNKNOWN', message: expect.stringContaining('"my web" does not make a valid SSM parameter name') })
  })

  it('throttling stays retryable', async () => {
    mock.on(GetParametersCommand).rejects(serviceError('ThrottlingException'))
    await expect(store.load('web')).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true })
  })

  it('AccessDenied names the action', async () => {
    mock.on(GetParametersCommand).rejects(serviceError('AccessDeniedException', { message: 'not authorized' }))
    await expect(store.load('web')).rejects.toMatchObject({
      code: 'AWS_UNAVAILABLE',
      retryable: false,
      message: "The instance role is not allowed to call ssm:GetParameters (AccessDeniedException: not authorized); add ssm:GetParameters to the instance role's policy.",
    })
  })
})

describe('read', () => {
  const names = Array.from({ length: 23 }, (_, i) => `/deckhand/web/secrets/s${i}`)

  it('reads 23 names in 3 calls of at most 10, with decryption', async () => {
    holding(Object.fromEntries(names.map((name, i) => [name, { value: `v${i}`, version: i + 1 }])))
    const values = await store.read(names)
    expect(values.size).toBe(23)
    expect(values.get('/deckhand/web/secrets/s22')).toEqual({ value: 'v22', version: 23 })
    expect(getCalls()).toEqual([
      { Names: names.slice(0, 10), WithDecryption: true },
      { Names: names.slice(10, 20), WithDecryption: true },
      { Names: names.slice(20), WithDecryption: true },
    ])
  })

  it('asks once per distinct name', async () => {
    holding({ '/a': { value: 'x', version: 1 } })
    await store.read(['/a', '/a'])
    expect(getCalls()).toEqual([{ Names: ['/a'], WithDecryption: true }])
  })

  it('makes no call for no names', async () => {
    expect((await store.read([])).size).toBe(0)
    expect(getCalls()).toEqual([])
  })

  it('a missing parameter is PARAMETER_UNAVAILABLE, naming it and the fix', async () => {
    holding({ '/a': { value: 'x', version: 1 } })
    await expect(store.read(['/a', '/deckhand/web/db-password'])).rejects.toMatchObject({
      code: 'PARAMETER_UNAVAILABLE',
      message: 'SSM parameter /deckhand/web/db-password, referenced by the manifest as { ssm: ... }, does not exist; create it with aws ssm put-parameter or remove the reference from the manifest.',
    })
  })

  it('keys answers by the name asked for, selector or ARN', async () => {
    mock.on(GetParametersCommand).resolves({
      Parameters: [
        { Name: '/a', Selector: ':3', Value: 'old', Version: 3 },
        { Name: 'arn:aws:ssm:eu-west-1:111122223333:parameter/b', ARN: 'arn:aws:ssm:eu-west-1:111122223333:parameter/b', Value: 'shared', Version: 2 },
      ],
      InvalidParameters: [],
    })
    const values = await store.read(['/a:3', 'arn:aws:ssm:eu-west-1:111122223333:parameter/b'])
    expect(values.get('/a:3')).toEqual({ value: 'old', version: 3 })
    expect(values.get('arn:aws:ssm:eu-west-1:111122223333:parameter/b')).toEqual({ value: 'shared', version: 2 })
  })

  it('never puts a value in an error', async () => {
    mock.on(GetParametersCommand).resolvesOnce({ Parameters: [{ Name: '/a', Value: 'hunter2', Version: 1 }], InvalidParameters: ['/b'] })
    const error = (await store.read(['/a', '/b']).catch((caught: unknown) => caught)) as Error
    expect(error.message).not.toContain('hunter2')
  })
})

describe('versions', () => {
  it('reads versions in batches of 10 without decryption; absent names are absent', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `/p${i}`)
    holding(Object.fromEntries(names.slice(1).map((name, i) => [name, { value: 'secret', version: i + 7 }])))
    const versions = await store.versions(names)
    expect(versions.has('/p0')).toBe(false)
    expect(versions.get('/p1')).toBe(7)
    expect(versions.size).toBe(11)
    expect(getCalls()).toEqual([
      { Names: names.slice(0, 10), WithDecryption: false },
      { Names: names.slice(10), WithDecryption: false },
    ])
  })
})

describe('putVersion', () => {
  it('overwrites /deckhand/<service>/version as a String and returns the new version', async () => {
    mock.on(PutParameterCommand).resolves({ Version: 12 })
    expect(await store.putVersion('web', '1.2.4')).toBe(12)
    expect(mock.commandCalls(PutParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: '/deckhand/web/version', Value: '1.2.4', Type: 'String', Overwrite: true },
    ])
  })
})
