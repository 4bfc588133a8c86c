import { GetAuthorizationTokenCommand, type ECRClient } from '@aws-sdk/client-ecr'
import { DeckhandError } from '../../core/errors.js'
import { registryHost, type AuthConfig, type RegistryCredentials } from '../docker/registry-credentials.js'
import type { Logger } from '../../ports/logger.js'
import { withSignal } from '../call-scope.js'
import { callAws } from './errors.js'

/** ECR tokens last 12 hours; take a new one this long before the old one expires. */
export const DEFAULT_REFRESH_BEFORE_MS = 30 * 60_000

export interface EcrCredentialsOptions {
  /** The ECR client of a registry's region: a token is only good in the region that issued it. */
  readonly clientFor: (region: string) => ECRClient
  /** Every registry that is not ECR: the Docker config file. */
  readonly fallback: RegistryCredentials
  /** Epoch ms; injected for tests. */
  readonly now?: () => number
  readonly refreshBeforeMs?: number
  readonly logger?: Logger
}

interface Token {
  readonly auth: AuthConfig
  /** Epoch ms after which the next pull asks for a new token. */
  readonly refreshAt: number
}

interface CacheEntry {
  readonly token: Promise<Token>
  /** Undefined while the request is in flight: concurrent pulls share it. */
  refreshAt?: number
}

/** `<account>.dkr.ecr.<region>.amazonaws.com` (`.cn` in China, `-fips`), and the dual-stack `<account>.dkr-ecr.<region>.on.aws`. */
const ECR_HOST = /^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws)$/

export function ecrRegistry(host: string): { readonly account: string; readonly region: string } | undefined {
  const match = ECR_HOST.exec(host)
  return match?.[1] === undefined || match[2] === undefined ? undefined : { account: match[1], region: match[2] }
}

/**
 * Pull credentials for ECR from the instance role (GetAuthorizationToken), cached per registry
 * until `refreshBeforeMs` before the token expires; any other registry goes to the fallback.
 * The token is a secret: it is never logged.
 *
 * `registryIds` is not sent: it is deprecated, and the token works for every registry the role
 * may pull from in that region.
 */
export class EcrCredentials implements RegistryCredentials {
  readonly #clientFor: (region: string) => ECRClient
  readonly #fallback: RegistryCredentials
  readonly #now: () => number
  readonly #refreshBeforeMs: number
  readonly #logger: Logger | undefined
  readonly #cache = new Map<string, CacheEntry>()

  constructor(options: EcrCredentialsOptions) {
    this.#clientFor = options.clientFor
    this.#fallback = options.fallback
    this.#now = options.now ?? Date.now
    this.#refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS
    this.#logger = options.logger
  }

  async credentialsFor(image: string, signal?: AbortSignal): Promise<AuthConfig | undefined> {
    const host = registryHost(image)
    const registry = ecrRegistry(host)
    if (registry === undefined) return this.#fallback.credentialsFor(image, signal)
    let entry = this.#cache.get(host)
    if (entry === undefined || (entry.refreshAt !== undefined && this.#now() >= entry.refreshAt)) {
      entry = this.#fetch(host, registry.region)
    }
    return (await withSignal(entry.token, signal)).auth
  }

  #fetch(host: string, region: string): CacheEntry {
    // The request is shared, so no one caller's signal may cancel it; the SDK's own request
    // timeout bounds it, and each caller stops waiting when its own signal fires.
    const token = this.#request(host, region)
    const entry: CacheEntry = { token }
    this.#cache.set(host, entry)
    token.then(
      (fresh) => {
        entry.refreshAt = fresh.refreshAt
      },
      () => {
        if (this.#cache.get(host) === entry) this.#cache.delete(host)
      },
    )
    return entry
  }

  async #request(host: string, region: string): Promise<Token> {
    const answer = await callAws('ecr:GetAuthorizationToken', undefined, (options) => this.#clientFor(region).send(new GetAuthorizationTokenCommand({}), options))
    const data = answer.authorizationData?.[0]
    const decoded = data?.authorizationToken === undefined ? '' : Buffer.from(data.authorizationToken, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) {
      throw new DeckhandError('AWS_UNAVAILABLE', `ECR in ${region} answered GetAuthorizationToken without a usable token for ${host}; deckhand tries again.`, { retryable: true })
    }
    // Without an expiry, use the token once and ask again next time.
    const expiresAt = data?.expiresAt?.getTime() ?? this.#now()
    const refreshAt = expiresAt - this.#refreshBeforeMs
    this.#logger?.debug({ registry: host, expiresAt: new Date(expiresAt).toISOString() }, 'got an ECR authorization token')
    return {
      auth: { serverAddress: `https://${host}`, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      refreshAt,
    }
  }
}
