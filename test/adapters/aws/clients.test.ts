import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { awsClientConfig, createAwsClients, type AwsClients } from '../../../src/adapters/aws/clients.js'
import { createAwsAdapters } from '../../../src/adapters/aws/index.js'
import { PrometheusMetrics } from '../../../src/adapters/metrics/prometheus-metrics.js'
import { DeckhandError } from '../../../src/core/errors.js'
import { startEmulator } from '../../support/aws-emulator/index.js'
import { Scrape } from '../metrics/prometheus-text.js'

interface Seen {
  readonly target: string | undefined
  readonly body: string
}

/** A stand-in SSM endpoint speaking the JSON protocol, or saying nothing at all. */
async function ssmEndpoint(behaviour: 'answer' | 'hang', seen: Seen[]): Promise<{ url: string; server: Server }> {
  const server = createServer((request: IncomingMessage, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      seen.push({ target: request.headers['x-amz-target'] as string | undefined, body })
      if (behaviour === 'hang') return
      const names = (JSON.parse(body) as { Names: string[] }).Names
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      response.end(JSON.stringify({ Parameters: [{ Name: names[0], Type: 'String', Value: 'containers: {}', Version: 3 }], InvalidParameters: names.slice(1) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

let servers: Server[] = []
let clients: AwsClients | undefined

beforeEach(() => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE')
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret')
  vi.stubEnv('AWS_SESSION_TOKEN', '')
  vi.stubEnv('AWS_ENDPOINT_URL', '')
  vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', '')
})

afterEach(async () => {
  clients?.destroy()
  clients = undefined
  vi.unstubAllEnvs()
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  servers = []
})

describe('awsClientConfig', () => {
  it('adaptive retries, 5 attempts, and a request timeout that throws', () => {
    expect(awsClientConfig({ region: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      retryMode: 'adaptive',
      maxAttempts: 5,
      requestHandler: { requestTimeout: 15_000, throwOnRequestTimeout: true, socketTimeout: 15_000, connectionTimeout: 3_000 },
    })
  })
})

describe('createAwsClients', () => {
  it('resolves the settings in every client', async () => {
    clients = createAwsClients({ region: 'eu-west-1', maxAttempts: 4 })
    for (const client of [clients.ssm, clients.autoScaling, clients.ec2, clients.ecr]) {
      expect(await client.config.region()).toBe('eu-west-1')
      expect(await client.config.maxAttempts()).toBe(4)
      expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' })
    }
  })

  it('builds one ECR client per region', () => {
    clients = createAwsClients({ region: 'eu-west-1' })
    expect(clients.ecrFor('eu-west-1')).toBe(clients.ecr)
    expect(clients.ecrFor('us-east-1')).toBe(clients.ecrFor('us-east-1'))
    expect(clients.ecrFor('us-east-1')).not.toBe(clients.ecr)
  })

  it('the SDK reads AWS_ENDPOINT_URL_SSM itself', async () => {
    const seen: Seen[] = []
    const { url, server } = await ssmEndpoint('answer', seen)
    servers.push(server)
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', url)
    const adapters = createAwsAdapters({ region: 'eu-west-1' })
    clients = adapters.clients
    const config = await adapters.config.load('web')
    expect(config).toEqual({ manifest: { value: 'containers: {}', version: 3 } })
    expect(seen).toEqual([{ target: 'AmazonSSM.GetParameters', body: JSON.stringify({ Names: ['/deckhand/web/manifest', '/deckhand/web/version'], WithDecryption: false }) }])
  })

  it('an endpoint that never answers fails on the request timeout, retryable', async () => {
    const seen: Seen[] = []
    const { url, server } = await ssmEndpoint('hang', seen)
    servers.push(server)
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', url)
    const adapters = createAwsAdapters({ region: 'eu-west-1', maxAttempts: 1, requestTimeoutMs: 200 })
    clients = adapters.clients
    const started = Date.now()
    const error = await adapters.config.versions(['/x']).catch((caught: unknown) => caught)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(error).toBeInstanceOf(DeckhandError)
    expect(error).toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true, message: expect.stringMatching(/^ssm:GetParameters did not get an answer from AWS \((ETIMEDOUT|TimeoutError)\)/) })
    expect(seen).toHaveLength(1)
    expect(((error as DeckhandError).cause as Error).name).toBe('TimeoutError')
  })
})

describe('counting AWS calls', () => {
  it('counts every attempt by operation and outcome, the throttles the SDK retried away included', async () => {
    const emulator = await startEmulator()
    try {
      for (const [key, value] of Object.entries(emulator.env())) vi.stubEnv(key, value)
      emulator.putParameter('/deckhand/web/manifest', 'containers: {}')
      emulator.faults.throttle('ssm', { action: 'GetParameters', times: 2 })
      const metrics = new PrometheusMetrics()
      const adapters = createAwsAdapters({ region: emulator.env()['AWS_REGION'] ?? 'eu-west-1', maxAttempts: 3, metrics })
      clients = adapters.clients
      expect(await adapters.config.load('web')).toMatchObject({ manifest: { value: 'containers: {}' } })
      await adapters.config.versions(['/deckhand/web/none']).catch(() => undefined)
      const s = new Scrape(await metrics.text())
      const outcomes = emulator.calls.list({ service: 'ssm' }).map((c) => c.outcome)
      expect(outcomes.filter((o) => o === 'ThrottlingException')).toHaveLength(2)
      expect(s.value('deckhand_aws_calls_total', { operation: 'GetParameters', outcome: 'throttled' })).toBe(2)
      expect(s.value('deckhand_aws_calls_total', { operation: 'GetParameters', outcome: 'ok' })).toBe(outcomes.length - 2)
    } finally {
      await emulator.close()
    }
  })
})
