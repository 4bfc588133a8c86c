import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CallLog } from '../call-log.js'
import type { EmulatorClock } from '../clock.js'
import type { Faults } from '../faults.js'
import { accessKeyIdFor } from '../ids.js'
import type { Ec2Instance } from '../model/ec2-instances.js'
import { Listener, readBody, sleep } from '../wire/listener.js'

const MAX_TOKEN_TTL_S = 21_600
export const EMULATED_ROLE = 'deckhand-emulated-instance-role'

export interface ImdsContext {
  readonly region: string
  readonly accountId: string
  readonly clock: EmulatorClock
  readonly faults: Faults
  readonly calls: CallLog
}

/**
 * One instance's metadata service, on its own port, IMDSv2 only: a session token from
 * `PUT /latest/api/token` (with a TTL header) is required for every GET, else 401, as on an
 * instance launched with HttpTokens=required. Paths are read from the live instance on each
 * request, so tags and target-lifecycle-state change under the agent's feet as they would.
 */
export class ImdsServer {
  readonly #tokens = new Map<string, number>()
  #unsubscribe: () => void = () => undefined

  private constructor(private readonly listener: Listener) {}

  static async start(instance: Ec2Instance, context: ImdsContext): Promise<ImdsServer> {
    let server: ImdsServer | undefined
    const listener = await Listener.open(async (request, response) => {
      if (!server) throw new Error('IMDS request before the server was ready')
      await server.#handle(instance, context, request, response)
    })
    server = new ImdsServer(listener)
    const ready = server
    const sync = async (): Promise<void> => {
      if (context.faults.isRefusing('imds', instance.instanceId)) listener.refuse()
      else await listener.resume()
    }
    ready.#unsubscribe = context.faults.onRefusalChange(sync)
    // An outage injected for every IMDS covers instances launched during it too.
    await sync()
    return ready
  }

  get endpoint(): string {
    return this.listener.url
  }

  async close(): Promise<void> {
    this.#unsubscribe()
    await this.listener.close()
  }

  async #handle(instance: Ec2Instance, context: ImdsContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
    await readBody(request)
    // The SDK's MetadataService joins the endpoint's path ("/") and "/latest/…" into "//latest/…".
    // (Not new URL(): "//latest/…" would parse as a host name.)
    const path = (request.url ?? '/').split('?')[0]?.replace(/\/{2,}/g, '/') ?? '/'
    const record = context.calls.start('imds', path, instance.instanceId)
    const { latencyMs, failure } = context.faults.decide('imds', path, instance.instanceId)
    if (latencyMs > 0) await sleep(latencyMs)
    if (failure?.kind === 'outage') {
      request.socket.destroy()
      context.calls.finish(record, 'reset')
      return
    }
    const answer = failure?.kind === 'throttle' ? status(429)
      : failure?.kind === 'denied' ? status(403)
      : failure?.kind === 'server-error' ? status(failure.status ?? 500)
      : path === '/latest/api/token' ? this.#token(request, context)
      : this.#read(request, path, instance, context)
    response.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': String(Buffer.byteLength(answer.body)), ...answer.headers })
    response.end(answer.body)
    context.calls.finish(record, answer.status === 200 ? 'ok' : String(answer.status))
  }

  #token(request: IncomingMessage, context: ImdsContext): Answer {
    if (request.method !== 'PUT') return status(405)
    // IMDS refuses token requests that went through a proxy.
    if (request.headers['x-forwarded-for'] !== undefined) return status(403)
    const ttl = Number(request.headers['x-aws-ec2-metadata-token-ttl-seconds'])
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_S) return status(400)
    const token = `AQAEA${randomBytes(40).toString('base64url')}`
    this.#tokens.set(token, context.clock.now() + ttl * 1000)
    return { status: 200, contentType: 'text/plain', body: token, headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) } }
  }

  #read(request: IncomingMessage, path: string, instance: Ec2Instance, context: ImdsContext): Answer {
    if (request.method !== 'GET' && request.method !== 'HEAD') return status(405)
    const token = request.headers['x-aws-ec2-metadata-token']
    const expiry = typeof token === 'string' ? this.#tokens.get(token) : undefined
    if (expiry === undefined || expiry <= context.clock.now()) return status(401)
    if (path === '/latest/dynamic/instance-identity/document') {
      return json(identityDocument(instance, context))
    }
    if (path === '/latest/meta-data' || path.startsWith('/latest/meta-data/')) {
      const directories = instance.metadataTags ? ['tags/instance/'] : []
      return lookup(metadataTree(instance, context), directories, path.slice('/latest/meta-data/'.length))
    }
    return status(404)
  }
}

interface Answer {
  readonly status: number
  readonly contentType: string
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }

/** IMDS answers errors with a small HTML page, as the real one does. */
function status(code: number): Answer {
  const title = `${code} - ${REASONS[code] ?? 'Error'}`
  return { status: code, contentType: 'text/html', body: `<?xml version="1.0" encoding="iso-8859-1"?>\n<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>\n` }
}

function json(value: unknown): Answer {
  return { status: 200, contentType: 'text/plain', body: JSON.stringify(value, null, 2) }
}

/** Leaf paths (relative to /latest/meta-data/) and their values, as of now. */
function metadataTree(instance: Ec2Instance, context: ImdsContext): Map<string, string> {
  const hostname = `ip-${instance.privateIp.replace(/\./g, '-')}.${context.region}.compute.internal`
  const tree = new Map<string, string>([
    ['ami-id', instance.imageId],
    ['hostname', hostname],
    ['instance-id', instance.instanceId],
    ['instance-type', instance.instanceType],
    ['local-hostname', hostname],
    ['local-ipv4', instance.privateIp],
    ['placement/availability-zone', instance.availabilityZone],
    ['placement/region', context.region],
    [`iam/security-credentials/${EMULATED_ROLE}`, JSON.stringify({
      Code: 'Success',
      LastUpdated: new Date(context.clock.now()).toISOString(),
      Type: 'AWS-HMAC',
      AccessKeyId: accessKeyIdFor(instance.instanceId),
      SecretAccessKey: 'emulated-secret',
      Token: 'emulated-session-token',
      Expiration: new Date(context.clock.now() + 6 * 3600_000).toISOString(),
    }, null, 2)],
  ])
  if (instance.targetLifecycleState !== undefined) tree.set('autoscaling/target-lifecycle-state', instance.targetLifecycleState)
  if (instance.spotInstanceAction !== undefined) tree.set('spot/instance-action', JSON.stringify(instance.spotInstanceAction))
  if (instance.metadataTags) {
    for (const [key, value] of instance.tags) if (!key.includes('/')) tree.set(`tags/instance/${key}`, value)
  }
  return tree
}

/**
 * A leaf answers its value; a directory lists its children, subdirectories with a trailing `/`.
 * Directories are implied by the leaves under them, plus those that exist even when empty
 * (`tags/instance/` on an instance with tags enabled but none set).
 */
function lookup(tree: Map<string, string>, directories: readonly string[], relative: string): Answer {
  const leaf = tree.get(relative)
  if (leaf !== undefined) return { status: 200, contentType: 'text/plain', body: leaf }
  const prefix = relative === '' ? '' : relative.replace(/\/?$/, '/')
  const children = new Set<string>()
  for (const key of [...tree.keys(), ...directories]) {
    if (!key.startsWith(prefix)) continue
    const [head, ...rest] = key.slice(prefix.length).split('/')
    if (head) children.add(rest.length > 0 ? `${head}/` : head)
  }
  if (children.size === 0 && !directories.includes(prefix)) return status(404)
  return { status: 200, contentType: 'text/plain', body: [...children].sort().join('\n') }
}

function identityDocument(instance: Ec2Instance, context: ImdsContext): Record<string, unknown> {
  return {
    accountId: context.accountId,
    architecture: 'x86_64',
    availabilityZone: instance.availabilityZone,
    billingProducts: null,
    devpayProductCodes: null,
    marketplaceProductCodes: null,
    imageId: instance.imageId,
    instanceId: instance.instanceId,
    instanceType: instance.instanceType,
    kernelId: null,
    pendingTime: new Date(instance.launchTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    privateIp: instance.privateIp,
    ramdiskId: null,
    region: context.region,
    version: '2017-09-30',
  }
}
