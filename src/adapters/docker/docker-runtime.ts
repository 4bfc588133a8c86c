import type Dockerode from 'dockerode'
import { DeckhandError } from '../../core/errors.js'
import type { ContainerConfig, ContainerRuntime, ContainerState, RuntimeEvent } from '../../ports/container-runtime.js'
import { NO_METRICS, type CallOutcome, type Metrics } from '../../ports/metrics.js'
import { callScope, withSignal } from '../call-scope.js'
import { toContainerState, toRuntimeEvent, WATCHED_ACTIONS, type EngineContainer } from './container-state.js'
import { toCreateOptions } from './create-options.js'
import { engineMessage, envValues, pullError, secretsOf, statusCodeOf, timeoutError, unreachableError } from './docker-errors.js'
import { JsonLines } from './json-lines.js'
import { LeanDockerode, SSH_UNSUPPORTED } from './lean-dockerode.js'
import { followPull, type FollowProgress } from './pull-progress.js'
import { DockerConfigCredentials, type AuthConfig, type RegistryCredentials } from './registry-credentials.js'

export interface DockerRuntimeOptions {
  /** Default: `new Dockerode()`, which honours DOCKER_HOST the way Docker's own tools do. */
  readonly docker?: Dockerode
  /** Default: the `auths` of the Docker config file (`docker login`). */
  readonly credentials?: RegistryCredentials
  /** Each engine call's own limit, on top of the caller's signal. Default 30 s. */
  readonly callTimeoutMs?: number
  /** A whole pull, layers included. Default 10 min. */
  readonly pullTimeoutMs?: number
  /** Counts every engine call by operation and outcome. */
  readonly metrics?: Metrics
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000
const DEFAULT_PULL_TIMEOUT_MS = 10 * 60_000

/**
 * ContainerRuntime over the Docker Engine API (dockerode). Everything Docker-shaped stays in
 * this directory: callers give and get deckhand's values and DeckhandErrors.
 *
 * Every call runs under one signal that combines the caller's with a timeout (call-scope.ts).
 * dockerode passes it to the HTTP request where it can; the call is also raced against it, so
 * a method that ignores it (image inspect) still returns on time. When the caller aborts, its
 * reason is thrown as is; when the timeout fires, DOCKER_UNREACHABLE (retryable). Stop gets
 * its grace period on top of the timeout; an open event stream has no timeout at all.
 */
export class DockerRuntime implements ContainerRuntime {
  readonly #docker: Dockerode
  readonly #credentials: RegistryCredentials
  readonly #callTimeoutMs: number
  readonly #pullTimeoutMs: number
  readonly #endpoint: string
  readonly #metrics: Metrics

  constructor(options: DockerRuntimeOptions = {}) {
    this.#docker = options.docker ?? defaultDocker()
    this.#credentials = options.credentials ?? new DockerConfigCredentials()
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    this.#pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS
    this.#endpoint = describeEndpoint(this.#docker)
    this.#metrics = options.metrics ?? NO_METRICS
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      await this.#call('ping', 'answer a ping', signal, this.#callTimeoutMs, (abortSignal) =>
        (this.#docker.ping as (options: { abortSignal: AbortSignal }) => Promise<unknown>).call(this.#docker, { abortSignal }),
      )
    } catch (error) {
      throw this.#failure(error, 'answer a ping')
    }
  }

  async hasImage(image: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#call('image_inspect', `inspect image ${image}`, signal, this.#callTimeoutMs, () => this.#docker.getImage(image).inspect())
      return true
    } catch (error) {
      if (statusCodeOf(error) === 404) return false
      throw this.#failure(error, `inspect image ${image}`)
    }
  }

  async pull(image: string, signal?: AbortSignal): Promise<void> {
    const auth = await this.#credentials.credentialsFor(image, signal)
    const { repository, tag } = splitReference(image)
    const follow: FollowProgress = (stream, onFinished, onProgress) => this.#docker.modem.followProgress(stream, onFinished, onProgress)
    let inBandError: string | undefined
    try {
      inBandError = await this.#call('pull', `finish pulling ${image}`, signal, this.#pullTimeoutMs, async (abortSignal) => {
        const stream = await this.#docker.createImage(auth === undefined ? undefined : toWireAuth(auth), { fromImage: repository, tag, abortSignal })
        return followPull(stream, follow, abortSignal)
      })
    } catch (error) {
      const status = statusCodeOf(error)
      if (status !== undefined) throw pullError(image, engineMessage(error), status, error)
      throw this.#failure(error, `pull ${image}`)
    }
    if (inBandError !== undefined) throw pullError(image, inBandError, undefined)
    // A stream cut short (the daemon restarting mid-pull) also ends without an error line.
    if (!(await this.hasImage(image, signal))) {
      throw new DeckhandError('IMAGE_PULL_FAILED', `Pulling ${image} ended without the image on this host; deckhand will pull it again.`, { retryable: true })
    }
  }

  async list(labels: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<ContainerState[]> {
    let summaries: Dockerode.ContainerInfo[]
    try {
      summaries = await this.#call('list', 'list containers', signal, this.#callTimeoutMs, (abortSignal) =>
        this.#docker.listContainers({ all: true, filters: labelFilters(labels), abortSignal }),
      )
    } catch (error) {
      throw this.#failure(error, 'list containers')
    }
    // The list has no health, times or exit codes; one inspect each fills them in. A container
    // removed in between is simply no longer there.
    const states = await Promise.all(summaries.map((summary) => this.inspect(summary.Id, signal)))
    return states.filter((state): state is ContainerState => state !== undefined)
  }

  async inspect(idOrName: string, signal?: AbortSignal): Promise<ContainerState | undefined> {
    try {
      const info = await this.#call('inspect', `inspect container ${idOrName}`, signal, this.#callTimeoutMs, (abortSignal) =>
        this.#docker.getContainer(idOrName).inspect({ abortSignal }),
      )
      return toContainerState(info as unknown as EngineContainer)
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined
      throw this.#failure(error, `inspect container ${idOrName}`)
    }
  }

  async create(config: ContainerConfig, signal?: AbortSignal): Promise<string> {
    try {
      // Left to itself, dockerode also copies every create option into the query string, and
      // with it the environment's secrets into a URL; `_query` and `_body` keep them apart.
      const { name, ...body } = toCreateOptions(config)
      const container = await this.#call('create', `create container ${config.name}`, signal, this.#callTimeoutMs, (abortSignal) =>
        this.#docker.createContainer({ _query: { name }, _body: body, abortSignal } as Dockerode.ContainerCreateOptions),
      )
      return container.id
    } catch (error) {
      throw this.#createFailure(error, config)
    }
  }

  async start(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#call('start', `start container ${shortId(id)}`, signal, this.#callTimeoutMs, (abortSignal) =>
        this.#docker.getContainer(id).start({ abortSignal }),
      )
    } catch (error) {
      const status = statusCodeOf(error)
      if (status === 304) return
      if (status === 404) {
        throw new DeckhandError('CONTAINER_CREATE_FAILED', `Cannot start container ${shortId(id)}: it no longer exists.`, { retryable: true, cause: error })
      }
      if (status !== undefined) {
        // The engine echoes the command and may echo the environment: blank the env's values.
        const secrets = await this.#envValuesOf(id, signal)
        throw new DeckhandError('CONTAINER_CREATE_FAILED', `Container ${shortId(id)} failed to start: ${engineMessage(error, secrets)}.`, { retryable: true, cause: error })
      }
      throw this.#failure(error, `start container ${shortId(id)}`)
    }
  }

  async stop(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // The engine answers only once the container is down, so the call may take the whole grace period.
    try {
      await this.#call('stop', `stop container ${shortId(id)}`, signal, timeoutMs + this.#callTimeoutMs, (abortSignal) =>
        this.#docker.getContainer(id).stop({ t: Math.ceil(timeoutMs / 1000), abortSignal }),
      )
    } catch (error) {
      // 304: already stopped. 404: gone, which is as stopped as it gets.
      const status = statusCodeOf(error)
      if (status === 304 || status === 404) return
      throw this.#failure(error, `stop container ${shortId(id)}`)
    }
  }

  async remove(id: string, signal?: AbortSignal): Promise<void> {
    try {
      // Without `v`: the container's anonymous volumes (an image's VOLUME, a database's data
      // when nobody gave it a named volume) outlive it. Nothing of a user's is deleted; they are
      // left for `docker volume prune`, which the README says.
      await this.#call('remove', `remove container ${shortId(id)}`, signal, this.#callTimeoutMs, (abortSignal) =>
        this.#docker.getContainer(id).remove({ force: true, v: false, abortSignal }),
      )
    } catch (error) {
      // 404: gone already. 409: a removal is already under way.
      const status = statusCodeOf(error)
      if (status === 404 || status === 409) return
      throw this.#failure(error, `remove container ${shortId(id)}`)
    }
  }

  /**
   * Opening the stream has the call timeout; once open, it lives until the engine closes it
   * (a daemon restart), which ends the iteration without an error, or until `signal` aborts.
   */
  async *events(labels: Readonly<Record<string, string>>, signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    if (signal.aborted) return
    const request = new AbortController()
    let stream: NodeJS.ReadableStream | undefined
    const abort = (): void => {
      request.abort(signal.reason)
      ;(stream as { destroy?: () => void } | undefined)?.destroy?.()
    }
    signal.addEventListener('abort', abort, { once: true })
    try {
      try {
        stream = await this.#call('events', 'open its event stream', signal, this.#callTimeoutMs, () =>
          this.#docker.getEvents({
            filters: { type: ['container'], event: [...WATCHED_ACTIONS], ...labelFilters(labels) },
            abortSignal: request.signal,
          }),
        )
      } catch (error) {
        request.abort()
        if (signal.aborted) return
        throw this.#failure(error, 'open its event stream')
      }
      const lines = new JsonLines()
      try {
        for await (const chunk of stream) {
          for (const message of lines.push(chunk)) {
            const event = toRuntimeEvent(message)
            if (event !== undefined) yield event
          }
        }
      } catch {
        // An aborted or reset stream is a closed one; the caller reopens it if it still wants events.
        return
      }
      for (const message of lines.end()) {
        const event = toRuntimeEvent(message)
        if (event !== undefined) yield event
      }
    } finally {
      signal.removeEventListener('abort', abort)
      abort()
    }
  }

  /**
   * Runs one engine call under the caller's signal and a timeout (see the class comment), and
   * counts it by `operation` and outcome; a call its caller cancelled is not counted.
   */
  async #call<T>(operation: string, what: string, signal: AbortSignal | undefined, timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    signal?.throwIfAborted()
    const scope = callScope(signal, timeoutMs)
    try {
      const result = await withSignal(run(scope.signal), scope.signal)
      this.#metrics.call('docker', operation, 'ok')
      return result
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason
      this.#metrics.call('docker', operation, callOutcome(error))
      if (scope.timedOut) throw timeoutError(this.#endpoint, what, timeoutMs, error)
      throw unreachableError(error, this.#endpoint) ?? error
    } finally {
      scope.dispose()
    }
  }

  /** A container's env values, to scrub from its start error; none when the engine cannot say. */
  async #envValuesOf(id: string, signal: AbortSignal | undefined): Promise<string[]> {
    try {
      const info = await this.#call('inspect', `inspect container ${shortId(id)}`, signal, this.#callTimeoutMs, (abortSignal) =>
        this.#docker.getContainer(id).inspect({ abortSignal }),
      )
      return envValues(info.Config?.Env)
    } catch {
      return []
    }
  }

  /** Anything the engine answered with that the caller does not handle itself. */
  #failure(error: unknown, what: string): unknown {
    const status = statusCodeOf(error)
    if (status === undefined) return error
    return new DeckhandError('INTERNAL', `Docker could not ${what}: ${engineMessage(error)}.`, { retryable: status >= 500, cause: error })
  }

  #createFailure(error: unknown, config: ContainerConfig): unknown {
    const status = statusCodeOf(error)
    if (status === 409) {
      return new DeckhandError(
        'NAME_CLASH',
        `A container named ${config.name} already exists; remove it (docker rm -f ${config.name}) so deckhand can create its own.`,
        { cause: error },
      )
    }
    if (status === 404) {
      return new DeckhandError(
        'CONTAINER_CREATE_FAILED',
        `Cannot create container ${config.name}: image ${config.image} is not on this host; pull it first.`,
        { retryable: true, cause: error },
      )
    }
    // Docker 20.10 answers some invalid configurations (a bad bind spec) with 500, not 400.
    const said = engineMessage(error, secretsOf(config))
    if (status === 400 || /\binvalid\b/i.test(said)) {
      return new DeckhandError('CONTAINER_CREATE_FAILED', `Docker rejected container ${config.name}: ${said}.`, { cause: error })
    }
    if (status !== undefined) {
      return new DeckhandError('CONTAINER_CREATE_FAILED', `Docker could not create container ${config.name}: ${said}.`, {
        retryable: true,
        cause: error,
      })
    }
    return error
  }
}

/** 304 (already started, already stopped) is the engine agreeing; 429 is a registry asking to slow down. */
function callOutcome(error: unknown): CallOutcome {
  const status = statusCodeOf(error)
  if (status === 304) return 'ok'
  return status === 429 ? 'throttled' : 'error'
}

function defaultDocker(): Dockerode {
  if (process.env['DOCKER_HOST']?.toLowerCase().startsWith('ssh://') === true) throw new DeckhandError('DOCKER_UNREACHABLE', SSH_UNSUPPORTED)
  try {
    return new LeanDockerode()
  } catch (error) {
    throw new DeckhandError(
      'DOCKER_UNREACHABLE',
      `DOCKER_HOST=${process.env['DOCKER_HOST'] ?? ''} is not a Docker address; set it like unix:///var/run/docker.sock or tcp://host:2375, or unset it.`,
      { cause: error },
    )
  }
}

/** Where the engine is, for messages: the socket path or the URL dockerode dials. */
function describeEndpoint(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown }
  if (typeof modem.host === 'string' && modem.host !== '') {
    const port = modem.port === undefined || modem.port === '' ? '' : `:${String(modem.port)}`
    return `${String(modem.protocol ?? 'http')}://${modem.host}${port}`
  }
  return typeof modem.socketPath === 'string' ? modem.socketPath : '/var/run/docker.sock'
}

/** `repo`, `repo:tag` or `repo@digest`; an empty tag would make the engine pull every tag. */
export function splitReference(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@')
  if (at >= 0) return { repository: image.slice(0, at), tag: image.slice(at + 1) }
  const colon = image.lastIndexOf(':')
  if (colon > image.lastIndexOf('/')) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) }
  return { repository: image, tag: 'latest' }
}

function toWireAuth(auth: AuthConfig): Record<string, string> {
  return 'identityToken' in auth
    ? { identitytoken: auth.identityToken, serveraddress: auth.serverAddress }
    : { username: auth.username, password: auth.password, serveraddress: auth.serverAddress }
}

/** The engine's label filter; none at all for no labels. */
function labelFilters(labels: Readonly<Record<string, string>>): { label?: string[] } {
  const label = Object.entries(labels).map(([key, value]) => `${key}=${value}`)
  return label.length === 0 ? {} : { label }
}

function shortId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id
}

