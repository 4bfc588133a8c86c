import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { EcrCredentials, ecrRegistry } from '../../../src/adapters/aws/ecr-credentials.js'
import type { AuthConfig, RegistryCredentials } from '../../../src/adapters/docker/registry-credentials.js'
import { serviceError } from './sdk-errors.js'

const HOUR = 3_600_000
const credentials = { accessKeyId: 'a', secretAccessKey: 's' }
const clients = new Map(['eu-west-1', 'us-east-1'].map((region) => [region, new ECRClient({ region, credentials })]))
const mocks = new Map([...clients].map(([region, client]) => [region, mockClient(client)]))
const euMock = mocks.get('eu-west-1')!

const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/proxy:1.2.3'

class RecordingFallback implements RegistryCredentials {
  readonly asked: string[] = []
  async credentialsFor(image: string): Promise<AuthConfig | undefined> {
    this.asked.push(image)
    return { serverAddress: 'registry.example', username: 'me', password: 'pw' }
  }
}

function token(password: string, expiresAt: number) {
  return {
    authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt: new Date(expiresAt), proxyEndpoint: 'https://111122223333.dkr.ecr.eu-west-1.amazonaws.com' }],
  }
}

let now: number
let fallback: RecordingFallback
let ecr: EcrCredentials

beforeEach(() => {
  for (const mock of mocks.values()) mock.reset()
  now = Date.parse('2026-03-01T00:00:00Z')
  fallback = new RecordingFallback()
  ecr = new EcrCredentials({ clientFor: (region) => clients.get(region)!, fallback, now: () => now })
})

describe('ecrRegistry', () => {
  it.each([
    ['111122223333.dkr.ecr.eu-west-1.amazonaws.com', { account: '111122223333', region: 'eu-west-1' }],
    ['111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn', { account: '111122223333', region: 'cn-north-1' }],
    ['111122223333.dkr.ecr-fips.us-east-1.amazonaws.com', { account: '111122223333', region: 'us-east-1' }],
    ['111122223333.dkr-ecr.eu-west-1.on.aws', { account: '111122223333', region: 'eu-west-1' }],
    ['public.ecr.aws', undefined],
    ['registry.example', undefined],
    ['111122223333.dkr.ecr.eu-west-1.amazonaws.com.evil.example', undefined],
  ])('%s', (host, expected) => {
    expect(ecrRegistry(host)).toEqual(expected)
  })
})

describe('EcrCredentials', () => {
  it('decodes the token into a username and password for the registry', async () => {
    euMock.on(GetAuthorizationTokenCommand).resolves(token('secret-1', now + 12 * HOUR))
    expect(await ecr.credentialsFor(IMAGE)).toEqual({ serverAddress: 'https://111122223333.dkr.ecr.eu-west-1.amazonaws.com', username: 'AWS', password: 'secret-1' })
    expect(euMock.commandCalls(GetAuthorizationTokenCommand).map((call) => call.args[0].input)).toEqual([{}])
    expect(fallback.asked).toEqual([])
  })

  it('sends other registries to the fallback, with no ECR call', async () => {
    expect(await ecr.credentialsFor('registry.example/app:1')).toMatchObject({ username: 'me' })
    expect(await ecr.credentialsFor('nginx:1.27')).toMatchObject({ username: 'me' })
    expect(fallback.asked).toEqual(['registry.example/app:1', 'nginx:1.27'])
    expect(euMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0)
  })

  it('caches the token until 30 minutes before it expires, then fetches a new one', async () => {
    euMock
      .on(GetAuthorizationTokenCommand)
      .resolvesOnce(token('first', now + 12 * HOUR))
      .resolvesOnce(token('second', now + 24 * HOUR))
    expect((await ecr.credentialsFor(IMAGE)) as { password: string }).toMatchObject({ password: 'first' })
    now += 11 * HOUR
    expect(await ecr.credentialsFor(`${IMAGE.replace('proxy', 'app')}`)).toMatchObject({ password: 'first' })
    now += 29 * 60_000 + 59_000 // 11h29m59s: still 30m01s left
    expect(await ecr.credentialsFor(IMAGE)).toMatchObject({ password: 'first' })
    expect(euMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1)
    now += 1_000 // exactly 30 minutes before expiry
    expect(await ecr.credentialsFor(IMAGE)).toMatchObject({ password: 'second' })
    expect(euMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2)
  })

  it('concurrent pulls share one request', async () => {
    euMock.on(GetAuthorizationTokenCommand).resolves(token('shared', now + 12 * HOUR))
    const answers = await Promise.all([ecr.credentialsFor(IMAGE), ecr.credentialsFor(IMAGE), ecr.credentialsFor(IMAGE)])
    expect(answers.map((answer) => (answer as { password: string }).password)).toEqual(['shared', 'shared', 'shared'])
    expect(euMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1)
  })

  it("asks the registry's own region", async () => {
    mocks.get('us-east-1')!.on(GetAuthorizationTokenCommand).resolves(token('virginia', now + 12 * HOUR))
    expect(await ecr.credentialsFor('111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1')).toMatchObject({ password: 'virginia' })
    expect(euMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0)
  })

  it('a failure is not cached', async () => {
    euMock
      .on(GetAuthorizationTokenCommand)
      .rejectsOnce(serviceError('ThrottlingException'))
      .resolvesOnce(token('after', now + 12 * HOUR))
    await expect(ecr.credentialsFor(IMAGE)).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true })
    expect(await ecr.credentialsFor(IMAGE)).toMatchObject({ password: 'after' })
  })

  it('AccessDenied names ecr:GetAuthorizationToken', async () => {
    euMock.on(GetAuthorizationTokenCommand).rejects(serviceError('AccessDeniedException', { message: 'denied' }))
    await expect(ecr.credentialsFor(IMAGE)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('add ecr:GetAuthorizationToken to the instance role') })
  })

  it("a caller's abort stops its wait, not the shared request", async () => {
    let release: (value: unknown) => void = () => undefined
    euMock.on(GetAuthorizationTokenCommand).callsFake(() => new Promise((resolve) => (release = resolve)).then(() => token('late', now + 12 * HOUR)))
    const controller = new AbortController()
    const first = ecr.credentialsFor(IMAGE, controller.signal)
    const second = ecr.credentialsFor(IMAGE)
    const reason = new Error('draining')
    controller.abort(reason)
    await expect(first).rejects.toBe(reason)
    release(undefined)
    expect(await second).toMatchObject({ password: 'late' })
  })
})
