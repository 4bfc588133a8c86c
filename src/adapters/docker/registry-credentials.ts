import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { DeckhandError } from '../../core/errors.js'

/**
 * Credentials for one registry, in deckhand's words. The Docker runtime turns this into the
 * engine's X-Registry-Auth header; nothing else sees the wire shape.
 */
export type AuthConfig =
  | { readonly serverAddress: string; readonly username: string; readonly password: string }
  | { readonly serverAddress: string; readonly identityToken: string }

/** Where pull credentials come from: a Docker config file, ECR's instance role, a test. */
export interface RegistryCredentials {
  /** undefined when this source has nothing for the image's registry: pull anonymously. */
  credentialsFor(image: string, signal?: AbortSignal): Promise<AuthConfig | undefined>
}

/** Docker Hub's key in `auths`, as `docker login` writes it. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/**
 * The registry host of an image reference, as Docker decides it: the first path component is a
 * registry only if it has a dot or a port or is `localhost`; otherwise the image is on Docker Hub.
 */
export function registryHost(image: string): string {
  const slash = image.indexOf('/')
  if (slash < 0) return 'docker.io'
  const first = image.slice(0, slash)
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    return DOCKER_HUB_HOSTS.has(first) ? 'docker.io' : first
  }
  return 'docker.io'
}

/** `https://registry.example/v1/` and `registry.example` name the same registry. */
function normaliseKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '')
  return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host
}

interface AuthEntry {
  readonly auth?: string
  readonly username?: string
  readonly password?: string
  readonly identitytoken?: string
}

/**
 * Reads `auths` from `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, the file
 * `docker login` writes. A missing file means no credentials. Credential helpers
 * (`credsStore`, `credHelpers`) are not run: ECR is served by its own RegistryCredentials.
 * The file is read on every pull, so a `docker login` takes effect without a restart.
 */
export class DockerConfigCredentials implements RegistryCredentials {
  readonly #path: string

  constructor(options: { path?: string } = {}) {
    const dir = process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker')
    this.#path = options.path ?? join(dir, 'config.json')
  }

  async credentialsFor(image: string): Promise<AuthConfig | undefined> {
    const auths = await this.#readAuths()
    const host = registryHost(image)
    for (const [key, entry] of Object.entries(auths)) {
      if (normaliseKey(key) !== host) continue
      const serverAddress = host === 'docker.io' ? DOCKER_HUB_AUTH_KEY : key
      return toAuthConfig(serverAddress, entry)
    }
    return undefined
  }

  async #readAuths(): Promise<Record<string, AuthEntry>> {
    let text: string
    try {
      text = await readFile(this.#path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw error
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new DeckhandError('IMAGE_PULL_FAILED', `The Docker config file ${this.#path} is not valid JSON; fix it or remove it.`, { cause: error })
    }
    const auths = (parsed as { auths?: unknown } | null)?.auths
    return typeof auths === 'object' && auths !== null ? (auths as Record<string, AuthEntry>) : {}
  }
}

function toAuthConfig(serverAddress: string, entry: AuthEntry): AuthConfig | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { serverAddress, identityToken: entry.identitytoken }
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    return { serverAddress, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { serverAddress, username: entry.username, password: entry.password }
  }
  return undefined
}
