import { DeckhandError } from '../../core/errors.js'
import type { InstanceIdentity, InstanceMetadata, SpotInterruption } from '../../ports/instance-metadata.js'
import { MetadataService } from '@aws-sdk/ec2-metadata-service'
import { withSignal } from '../call-scope.js'

/**
 * IMDSv2 through @aws-sdk/ec2-metadata-service's MetadataService, used as a transport only.
 * Left to itself that client (3.1164, read in node_modules):
 * - has no timeout unless `httpOptions.timeout` is set;
 * - PUTs a new session token before every single GET (no reuse);
 * - after one token request times out or answers 403/404/405, sets `disableFetchToken` for the
 *   rest of the process and quietly goes on with IMDSv1, unless IMDSv1 is disabled through
 *   AWS_EC2_METADATA_V1_DISABLED or the shared config file, which deckhand does not own;
 * - retries inside each call with its own sleeps (1.2^n s), which a drain deadline cannot cut short.
 * The agent polls target-lifecycle-state and spot/instance-action every few seconds for weeks,
 * so it wants one token reused for hours, a short timeout on every request, and never IMDSv1.
 * So deckhand builds it with `disableFetchToken` (it never asks for a token on its own, so it
 * can never fall back), `retries: 0` (the agent's loops retry, on their own schedule) and a
 * timeout, and sends every request itself: the token PUT, and each GET with that token.
 *
 * Token: PUT /latest/api/token with a 6-hour TTL, reused until a minute before it expires, and
 * fetched again at once when IMDS answers 401 (it was revoked, or the clock lied). Concurrent
 * callers share one token request.
 */
export interface ImdsOptions {
  /** Default: AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv6 address when AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6, else http://169.254.169.254. */
  readonly endpoint?: string
  /** Per request, from sending it to the end of the body; default 2 s. */
  readonly timeoutMs?: number
  /** Default 21600 (6 hours, the most IMDS allows). */
  readonly tokenTtlSeconds?: number
  /** Epoch ms; injected for tests. */
  readonly now?: () => number
}

export const DEFAULT_IMDS_TIMEOUT_MS = 2_000
const DEFAULT_TOKEN_TTL_S = 21_600
/** Stop using a token this long before IMDS says it expires. */
const TOKEN_MARGIN_MS = 60_000

const IDENTITY_PATH = '/latest/dynamic/instance-identity/document'
const TOKEN_PATH = '/latest/api/token'

/** IMDS serves only tag keys made of these characters (EC2 user guide, "Work with instance tags in instance metadata"). */
const IMDS_TAG_KEY = /^[A-Za-z0-9+\-=.,_:@]+$/

interface Token {
  readonly value: string
  /** Epoch ms after which the token is not used again. */
  readonly useUntil: number
}

interface Answer {
  readonly status: number
  readonly body: string
}

export function imdsEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['AWS_EC2_METADATA_SERVICE_ENDPOINT']
  if (configured !== undefined && configured !== '') return configured
  return env['AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE']?.toLowerCase() === 'ipv6' ? 'http://[fd00:ec2::254]' : 'http://169.254.169.254'
}

export class ImdsMetadata implements InstanceMetadata {
  readonly #endpoint: string
  readonly #timeoutMs: number
  readonly #ttlSeconds: number
  readonly #now: () => number
  readonly #service: MetadataService
  #token: Token | undefined
  #tokenRequest: Promise<Token> | undefined
  #identity: InstanceIdentity | undefined

  constructor(options: ImdsOptions = {}) {
    this.#endpoint = (options.endpoint ?? imdsEndpoint()).replace(/\/+$/, '')
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_IMDS_TIMEOUT_MS
    this.#ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_S
    this.#now = options.now ?? Date.now
    this.#service = new MetadataService({
      // It joins the endpoint's path and the request's path as they are: the slash goes here only.
      endpoint: `${this.#endpoint}/`,
      httpOptions: { timeout: this.#timeoutMs },
      retries: 0,
      disableFetchToken: true,
      // Every request deckhand sends carries its token, so nothing here ever goes out as IMDSv1.
      // Saying false keeps the client from reading AWS_EC2_METADATA_V1_DISABLED or ~/.aws/config,
      // which would make it refuse the requests it is told not to fetch a token for.
      ec2MetadataV1Disabled: false,
    })
  }

  /** Read once: the identity document does not change for the life of the instance. */
  async identity(signal?: AbortSignal): Promise<InstanceIdentity> {
    if (this.#identity !== undefined) return this.#identity
    const body = await this.#get(IDENTITY_PATH, signal)
    if (body === undefined) throw this.#unexpected(IDENTITY_PATH, 'HTTP 404')
    const document = parseJson(body) as Record<string, unknown> | undefined
    const field = (key: string): string => {
      const value = document?.[key]
      if (typeof value !== 'string' || value === '') throw this.#unexpected(IDENTITY_PATH, `no ${key}`)
      return value
    }
    this.#identity = {
      instanceId: field('instanceId'),
      region: field('region'),
      availabilityZone: field('availabilityZone'),
      instanceType: field('instanceType'),
      imageId: field('imageId'),
      privateIp: field('privateIp'),
    }
    return this.#identity
  }

  async instanceTag(key: string, signal?: AbortSignal): Promise<string | undefined> {
    // A key IMDS cannot serve is, for this port, a tag it does not have: the caller asks the API.
    if (!IMDS_TAG_KEY.test(key) || key === '.' || key === '..' || key === '_index') return undefined
    return this.#get(`/latest/meta-data/tags/instance/${key}`, signal)
  }

  async instanceTags(prefix: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>> | undefined> {
    const listing = await this.#get('/latest/meta-data/tags/instance', signal)
    if (listing === undefined) return undefined
    const keys = listing.split('\n').map((key) => key.trim()).filter((key) => key.startsWith(prefix) && IMDS_TAG_KEY.test(key))
    const values = await Promise.all(keys.map(async (key) => [key, await this.#get(`/latest/meta-data/tags/instance/${key}`, signal)] as const))
    return Object.fromEntries(values.filter((entry): entry is readonly [string, string] => entry[1] !== undefined))
  }

  async targetLifecycleState(signal?: AbortSignal): Promise<string | undefined> {
    const body = await this.#get('/latest/meta-data/autoscaling/target-lifecycle-state', signal)
    const state = body?.trim()
    return state === '' ? undefined : state
  }

  async spotInterruption(signal?: AbortSignal): Promise<SpotInterruption | undefined> {
    const path = '/latest/meta-data/spot/instance-action'
    const body = await this.#get(path, signal)
    if (body === undefined) return undefined
    const notice = parseJson(body) as { action?: unknown; time?: unknown } | undefined
    if (typeof notice?.action !== 'string') throw this.#unexpected(path, 'no action')
    const time = typeof notice.time === 'string' ? Date.parse(notice.time) : Number.NaN
    // A notice whose time does not parse is still a notice: treat it as due now.
    return { action: notice.action, time: Number.isNaN(time) ? this.#now() : time }
  }

  /** A GET with the session token; undefined on 404. */
  async #get(path: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#validToken(signal)
      const answer = await this.#send('GET', path, { 'x-aws-ec2-metadata-token': token.value }, signal)
      if (answer.status === 200) return answer.body
      if (answer.status === 404) return undefined
      if (answer.status === 401 && attempt === 0) {
        if (this.#token === token) this.#token = undefined
        continue
      }
      throw this.#status('GET', path, answer.status)
    }
  }

  async #validToken(signal: AbortSignal | undefined): Promise<Token> {
    if (this.#token !== undefined && this.#now() < this.#token.useUntil) return this.#token
    this.#tokenRequest ??= this.#fetchToken().finally(() => {
      this.#tokenRequest = undefined
    })
    return withSignal(this.#tokenRequest, signal)
  }

  /** Shared by concurrent callers, so it runs on its own timeout, not on any caller's signal. */
  async #fetchToken(): Promise<Token> {
    const asked = this.#now()
    const answer = await this.#send('PUT', TOKEN_PATH, { 'x-aws-ec2-metadata-token-ttl-seconds': String(this.#ttlSeconds) }, undefined)
    if (answer.status !== 200 || answer.body === '') {
      if (answer.status === 403) {
        throw new DeckhandError(
          'AWS_UNAVAILABLE',
          `The instance metadata service at ${this.#endpoint} refused a session token (HTTP 403); turn it on for this instance (HttpEndpoint=enabled in the launch template's metadata options).`,
          { retryable: true },
        )
      }
      throw this.#status('PUT', TOKEN_PATH, answer.status)
    }
    const token = { value: answer.body, useUntil: asked + this.#ttlSeconds * 1000 - TOKEN_MARGIN_MS }
    this.#token = token
    return token
  }

  async #send(method: 'GET' | 'PUT', path: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Answer> {
    signal?.throwIfAborted()
    try {
      // MetadataService takes no signal: an aborted caller stops waiting, the request runs out its timeout.
      // It also builds a keep-alive agent per request and never closes it: without `close`, every
      // request would leave a socket open for as long as IMDS keeps an idle connection.
      const body = await withSignal(this.#service.request(path.slice(1), { method, headers: { ...headers, connection: 'close' } }), signal)
      return { status: 200, body }
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason
      const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode
      if (typeof status === 'number') return { status, body: '' }
      const detail = error instanceof Error ? error.message : String(error)
      if (/TimeoutError/.test(detail)) {
        throw new DeckhandError(
          'AWS_UNAVAILABLE',
          `The instance metadata service at ${this.#endpoint} did not answer ${method} ${path} within ${this.#timeoutMs} ms; check that it is enabled for this instance and that no firewall or hop limit blocks it.`,
          { retryable: true, cause: error },
        )
      }
      throw new DeckhandError(
        'AWS_UNAVAILABLE',
        `Cannot reach the instance metadata service at ${this.#endpoint} (${socketCode(detail)}); deckhand runs only on EC2, or with AWS_EC2_METADATA_SERVICE_ENDPOINT set.`,
        { retryable: true, cause: error },
      )
    }
  }

  #status(method: string, path: string, status: number): DeckhandError {
    return new DeckhandError('AWS_UNAVAILABLE', `The instance metadata service answered ${method} ${path} with HTTP ${status}; deckhand tries again later.`, {
      retryable: true,
    })
  }

  #unexpected(path: string, what: string): DeckhandError {
    return new DeckhandError('AWS_UNAVAILABLE', `The instance metadata service answered ${path} with an unexpected document (${what}); deckhand tries again later.`, {
      retryable: true,
    })
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** MetadataService folds the socket error into its message ("... Error: connect ECONNREFUSED 127.0.0.1:9"). */
function socketCode(detail: string): string {
  return /\b(E[A-Z]{3,})\b/.exec(detail)?.[1] ?? detail
}
