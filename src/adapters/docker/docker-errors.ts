import { DeckhandError } from '../../core/errors.js'
import { oneLine } from '../../core/safe-text.js'
import type { ContainerConfig } from '../../ports/container-runtime.js'
import { registryHost } from './registry-credentials.js'

/**
 * Engine failures turned into DeckhandErrors, one sentence each, naming the thing and the fix.
 * dockerode reports an HTTP failure as an Error with `statusCode` and the engine's JSON body;
 * a socket failure as Node's errno error.
 */

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** Engine text quoted in a DeckhandError: long enough for the cause, short enough for a log line. */
const ENGINE_TEXT_MAX = 500

/**
 * The engine's own message, without dockerode's "(HTTP code 404) no such container - " prefix,
 * treated as input: Docker echoes what it was given (a command, a mount, an env entry), so the
 * values of `secrets` are blanked, control and bidi characters escaped, and the text cut to one
 * bounded line before it can reach a log, status.json or a tag.
 */
export function engineMessage(error: unknown, secrets: Iterable<string> = []): string {
  const json = (error as { json?: unknown } | null)?.json
  const fromJson = (json as { message?: unknown } | null)?.message
  const message = typeof fromJson === 'string' && fromJson !== '' ? fromJson : (error instanceof Error ? error.message : String(error)).replace(/^\(HTTP code \d+\) [^-]*- /, '')
  return oneLine(summarise(message), { secrets, max: ENGINE_TEXT_MAX })
}

/** The values a container was given in its environment: what an engine error must never echo. */
export function secretsOf(config: Pick<ContainerConfig, 'env'>): string[] {
  return Object.values(config.env)
}

/** The values of `NAME=value` entries, as the engine reports a container's Config.Env. */
export function envValues(entries: readonly string[] | null | undefined): string[] {
  return (entries ?? []).flatMap((entry) => {
    const at = entry.indexOf('=')
    return at < 0 ? [] : [entry.slice(at + 1)]
  })
}

/**
 * Docker's messages carry the runtime's plumbing ("OCI runtime create failed:
 * container_linux.go:380: starting container process caused: ...: unknown"); keep the cause.
 */
export function summarise(message: string): string {
  return message
    .replace(/container_linux\.go:\d+: /g, '')
    .replace(/starting container process caused:? /g, '')
    .replace(/: unknown$/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\.$/, '')
}

/** A socket-level failure to talk to the engine, or undefined when the engine did answer. */
export function unreachableError(error: unknown, endpoint: string): DeckhandError | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'EACCES' || code === 'EPERM') {
    return new DeckhandError(
      'DOCKER_UNREACHABLE',
      `Permission denied on the Docker engine at ${endpoint}; run deckhand as root or as a member of the docker group.`,
      { cause: error },
    )
  }
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new DeckhandError(
      'DOCKER_UNREACHABLE',
      `Cannot reach the Docker engine at ${endpoint}; start Docker (systemctl start docker) or set DOCKER_HOST.`,
      { retryable: true, cause: error },
    )
  }
  return undefined
}

export function timeoutError(endpoint: string, what: string, timeoutMs: number, cause: unknown): DeckhandError {
  return new DeckhandError(
    'DOCKER_UNREACHABLE',
    `The Docker engine at ${endpoint} did not ${what} within ${formatSeconds(timeoutMs)}; check that dockerd is healthy (systemctl status docker).`,
    { retryable: true, cause },
  )
}

/**
 * A failed pull, from the HTTP status or from an in-band `{"error": ...}` progress line.
 * Docker answers "pull access denied" both for a repository that does not exist and for one
 * that needs credentials, so that message names both fixes.
 */
export function pullError(image: string, rawMessage: string, statusCode: number | undefined, cause?: unknown): DeckhandError {
  const registry = registryHost(image)
  // A registry's text is input too: one escaped, bounded line.
  const message = oneLine(rawMessage, { max: ENGINE_TEXT_MAX })
  const options = cause === undefined ? {} : { cause }
  if (/pull access denied|unauthorized|authentication required|no basic auth credentials|denied:|\b401\b|\b403\b/i.test(message)) {
    return new DeckhandError(
      'IMAGE_PULL_FAILED',
      `Registry ${registry} refused to let deckhand pull ${image} (${summarise(message)}); check the image name, then ${loginFix(registry)}.`,
      { retryable: true, ...options },
    )
  }
  if (statusCode === 400 || /invalid reference format/i.test(message)) {
    return new DeckhandError('IMAGE_NOT_FOUND', `Image ${image} is not a valid image reference (${summarise(message)}); fix it in the manifest.`, options)
  }
  if (statusCode === 404 || /manifest unknown|not found|no such image|does not exist/i.test(message)) {
    return new DeckhandError('IMAGE_NOT_FOUND', `Image ${image} was not found in its registry; check the name and tag.`, options)
  }
  return new DeckhandError(
    'IMAGE_PULL_FAILED',
    `Pulling ${image} from ${registry} failed (${summarise(message)}); check that this instance can reach ${registry}.`,
    { retryable: true, ...options },
  )
}

function loginFix(registry: string): string {
  if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(registry)) {
    return "give the instance role ecr:GetAuthorizationToken and ecr:BatchGetImage on the repository"
  }
  return `run docker login ${registry} as the user deckhand runs as`
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}
