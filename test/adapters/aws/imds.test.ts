import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ImdsMetadata, imdsEndpoint } from '../../../src/adapters/aws/imds.js'
import { DeckhandError } from '../../../src/core/errors.js'
import { waitFor } from '../../support/wait.js'

const DOCUMENT = {
  accountId: '111122223333',
  architecture: 'x86_64',
  availabilityZone: 'eu-west-1a',
  imageId: 'ami-0123456789abcdef0',
  instanceId: 'i-0123456789abcdef0',
  instanceType: 't3.micro',
  pendingTime: '2026-03-01T10:00:00Z',
  privateIp: '10.0.1.23',
  region: 'eu-west-1',
  version: '2017-09-30',
}

/** An IMDSv2-only metadata service: a GET without a valid token gets 401, as with HttpTokens=required. */
class FakeImds {
  readonly paths = new Map<string, string>([
    ['/latest/dynamic/instance-identity/document', JSON.stringify(DOCUMENT)],
    ['/latest/meta-data/tags/instance/aws:autoscaling:groupName', 'web'],
  ])
  tokenPuts = 0
  readonly ttls: string[] = []
  readonly gets: string[] = []
  readonly tokens = new Set<string>()
  /** When set, every request is left hanging. */
  silent = false
  #server: Server | undefined

  /** Connections open now: the agent polls IMDS for weeks, so none may be left behind. */
  async openConnections(): Promise<number> {
    return new Promise((resolve, reject) => this.#server?.getConnections((error, count) => (error ? reject(error) : resolve(count))))
  }

  async start(): Promise<string> {
    this.#server = createServer((request, response) => this.#handle(request, response))
    // Like a server that never closes an idle connection: any socket the client keeps stays open.
    this.#server.keepAliveTimeout = 0
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise((resolve) => this.#server?.close(resolve))
  }

  revokeTokens(): void {
    this.tokens.clear()
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.silent) return
    const path = request.url ?? '/'
    if (path === '/latest/api/token') {
      if (request.method !== 'PUT') return void response.writeHead(405).end()
      const ttl = request.headers['x-aws-ec2-metadata-token-ttl-seconds']
      if (typeof ttl !== 'string') return void response.writeHead(400).end()
      this.tokenPuts++
      this.ttls.push(ttl)
      const token = `token-${this.tokenPuts}`
      this.tokens.add(token)
      return void response.writeHead(200, { 'x-aws-ec2-metadata-token-ttl-seconds': ttl }).end(token)
    }
    const token = request.headers['x-aws-ec2-metadata-token']
    if (typeof token !== 'string' || !this.tokens.has(token)) return void response.writeHead(401).end()
    this.gets.push(path)
    const body = this.paths.get(path)
    if (body === undefined) return void response.writeHead(404).end('Not Found')
    response.writeHead(200, { 'content-type': 'text/plain' }).end(body)
  }
}

let imds: FakeImds | undefined

async function started(options: { timeoutMs?: number; now?: () => number } = {}): Promise<{ server: FakeImds; client: ImdsMetadata }> {
  imds = new FakeImds()
  const endpoint = await imds.start()
  return { server: imds, client: new ImdsMetadata({ endpoint, ...options }) }
}

afterEach(async () => {
  await imds?.stop()
  imds = undefined
})

describe('ImdsMetadata', () => {
  it('reads the identity document with a session token', async () => {
    const { server, client } = await started()
    expect(await client.identity()).toEqual({
      instanceId: 'i-0123456789abcdef0',
      region: 'eu-west-1',
      availabilityZone: 'eu-west-1a',
      instanceType: 't3.micro',
      imageId: 'ami-0123456789abcdef0',
      privateIp: '10.0.1.23',
    })
    expect(server.ttls).toEqual(['21600'])
  })

  it('reuses one token across calls', async () => {
    const { server, client } = await started()
    await client.identity()
    expect(await client.instanceTag('aws:autoscaling:groupName')).toBe('web')
    expect(await client.targetLifecycleState()).toBeUndefined()
    expect(await client.spotInterruption()).toBeUndefined()
    await Promise.all([client.instanceTag('a'), client.instanceTag('b'), client.targetLifecycleState()])
    expect(server.tokenPuts).toBe(1)
    expect(server.gets).toHaveLength(7)
  })

  it('leaves no connection open behind its requests', async () => {
    const { server, client } = await started()
    for (let i = 0; i < 10; i++) await client.targetLifecycleState()
    await waitFor('every connection closed', async () => (await server.openConnections()) === 0, { timeoutMs: 5_000 })
    expect(server.gets).toHaveLength(10)
  })

  it('concurrent first calls share one token request', async () => {
    const { server, client } = await started()
    await Promise.all([client.instanceTag('a'), client.instanceTag('b'), client.targetLifecycleState(), client.spotInterruption()])
    expect(server.tokenPuts).toBe(1)
  })

  it('takes a new token a minute before the old one expires', async () => {
    let now = 0
    const { server, client } = await started({ now: () => now })
    await client.targetLifecycleState()
    now = 21_600_000 - 60_001
    await client.targetLifecycleState()
    expect(server.tokenPuts).toBe(1)
    now = 21_600_000 - 60_000
    await client.targetLifecycleState()
    expect(server.tokenPuts).toBe(2)
  })

  it('takes a new token at once when IMDS answers 401', async () => {
    const { server, client } = await started()
    await client.targetLifecycleState()
    server.revokeTokens()
    expect(await client.instanceTag('aws:autoscaling:groupName')).toBe('web')
    expect(server.tokenPuts).toBe(2)
  })

  it('reads the instance tags with a prefix, and none when tags in metadata are off', async () => {
    const { server, client } = await started()
    expect(await client.instanceTags('deckhand:')).toBeUndefined()
    server.paths.set('/latest/meta-data/tags/instance', 'aws:autoscaling:groupName\ndeckhand:state\ndeckhand:ready-at\nName')
    server.paths.set('/latest/meta-data/tags/instance/deckhand:state', 'ready')
    server.paths.set('/latest/meta-data/tags/instance/deckhand:ready-at', '2026-03-01T10:02:00Z')
    expect(await client.instanceTags('deckhand:')).toEqual({ 'deckhand:state': 'ready', 'deckhand:ready-at': '2026-03-01T10:02:00Z' })
  })

  it('404s are undefined: no tag, no target state yet, no spot notice', async () => {
    const { client } = await started()
    expect(await client.instanceTag('deckhand:service')).toBeUndefined()
    expect(await client.targetLifecycleState()).toBeUndefined()
    expect(await client.spotInterruption()).toBeUndefined()
  })

  it('reads the target lifecycle state and a spot notice', async () => {
    const { server, client } = await started()
    server.paths.set('/latest/meta-data/autoscaling/target-lifecycle-state', 'Terminated')
    server.paths.set('/latest/meta-data/spot/instance-action', '{"action": "terminate", "time": "2026-03-01T10:02:00Z"}')
    expect(await client.targetLifecycleState()).toBe('Terminated')
    expect(await client.spotInterruption()).toEqual({ action: 'terminate', time: Date.parse('2026-03-01T10:02:00Z') })
  })

  it('asks nothing for a tag key IMDS cannot serve', async () => {
    const { server, client } = await started()
    expect(await client.instanceTag('team/owner')).toBeUndefined()
    expect(await client.instanceTag('has space')).toBeUndefined()
    expect(server.gets).toEqual([])
  })

  it('a silent IMDS times out as a retryable AWS_UNAVAILABLE', async () => {
    const { server, client } = await started({ timeoutMs: 100 })
    server.silent = true
    const started_ = Date.now()
    const error = await client.targetLifecycleState().catch((caught: unknown) => caught)
    expect(Date.now() - started_).toBeLessThan(2_000)
    expect(error).toBeInstanceOf(DeckhandError)
    expect(error).toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true, message: expect.stringMatching(/did not answer PUT \/latest\/api\/token within 100 ms/) })
  })

  it('a GET that hangs after the token times out too', async () => {
    const { server, client } = await started({ timeoutMs: 100 })
    await client.targetLifecycleState()
    server.silent = true
    await expect(client.targetLifecycleState()).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', message: expect.stringContaining('did not answer GET /latest/meta-data/autoscaling/target-lifecycle-state') })
  })

  it("the caller's abort wins, with its own reason", async () => {
    const { server, client } = await started({ timeoutMs: 5_000 })
    server.silent = true
    const controller = new AbortController()
    const pending = client.targetLifecycleState(controller.signal)
    const reason = new Error('shutting down')
    setTimeout(() => controller.abort(reason), 20)
    await expect(pending).rejects.toBe(reason)
  })

  it('no IMDS at all is a retryable AWS_UNAVAILABLE', async () => {
    const { server, client } = await started()
    await server.stop()
    await expect(client.identity()).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true, message: expect.stringContaining('ECONNREFUSED') })
  })

  it('never falls back to IMDSv1', async () => {
    // An IMDS that refuses tokens but would answer a tokenless (IMDSv1) GET.
    let tokenlessGets = 0
    const refusing = createServer((request, response) => {
      if (request.url === '/latest/api/token') return void response.writeHead(403).end()
      tokenlessGets++
      response.writeHead(200).end('InService')
    })
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    try {
      const client = new ImdsMetadata({ endpoint: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}` })
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(client.targetLifecycleState()).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', message: expect.stringContaining('refused a session token (HTTP 403)') })
      }
      expect(tokenlessGets).toBe(0)
    } finally {
      refusing.closeAllConnections()
      await new Promise((resolve) => refusing.close(resolve))
    }
  })
})

describe('imdsEndpoint', () => {
  it('reads AWS_EC2_METADATA_SERVICE_ENDPOINT, else the endpoint mode, else the IPv4 address', () => {
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1338' })).toBe('http://127.0.0.1:1338')
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' })).toBe('http://[fd00:ec2::254]')
    expect(imdsEndpoint({})).toBe('http://169.254.169.254')
  })
})
