import { request } from 'node:http'
import { connect } from 'node:net'
import type { HealthProbe, ProbeResult, ProbeTarget } from '../../ports/health-probe.js'

/**
 * http and tcp checks, run from the host against the container's address. A probe never throws
 * for an unhealthy target; it throws only the caller's abort reason, when the caller gives up.
 */
export class HostHealthProbe implements HealthProbe {
  async probe(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
    signal?.throwIfAborted()
    return target.kind === 'http' ? probeHttp(target.url, timeoutMs, signal) : probeTcp(target.host, target.port, timeoutMs, signal)
  }
}

/**
 * Healthy on 2xx or 3xx. Redirects are not followed: a 302 to a login page still means the server
 * answers. node:http rather than fetch: a fresh connection per probe (no pool to go stale across
 * a container's restart), and no undici, which costs the agent about 8 MB of RSS.
 */
async function probeHttp(url: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<ProbeResult> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? (await import('node:https')).request : request
  return settle(timeoutMs, signal, (done) => {
    const req = send(target, { method: 'GET', agent: false })
    // Only the status matters: the request is destroyed as soon as it is known.
    req.once('response', (response) => {
      // Destroying the request may make the unread body fail; that is no news.
      response.on('error', () => undefined)
      const status = response.statusCode ?? 0
      done(status >= 200 && status < 400 ? { healthy: true } : { healthy: false, detail: `HTTP ${status}` })
    })
    // `on`, not `once`: a second error after the first result must not go unhandled.
    req.on('error', (error) => done({ healthy: false, detail: describeSocketError(error) }))
    req.end()
    return () => req.destroy()
  })
}

/** Healthy once the connection is accepted; it is closed at once. */
function probeTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<ProbeResult> {
  return settle(timeoutMs, signal, (done) => {
    const socket = connect({ host, port })
    socket.once('connect', () => done({ healthy: true }))
    socket.on('error', (error) => done({ healthy: false, detail: describeSocketError(error) }))
    return () => socket.destroy()
  })
}

/**
 * Runs one probe to its first result, its timeout, or the caller's abort, whichever comes first,
 * then closes what `start` opened. Only the abort rejects.
 */
function settle(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  start: (done: (result: ProbeResult) => void) => () => void,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve, reject) => {
    let close: (() => void) | undefined
    let settled = false
    const finish = (outcome: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      close?.()
      outcome()
    }
    const onAbort = (): void => finish(() => reject(signal?.reason))
    const timer = setTimeout(() => finish(() => resolve({ healthy: false, detail: `timed out after ${formatMs(timeoutMs)}` })), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    close = start((result) => finish(() => resolve(result)))
    // `start` may have finished before `close` was known.
    if (settled) close()
  })
}

const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
}

export function describeSocketError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') return SOCKET_ERRORS[code] ?? code
  // Several addresses for one name: Node reports an AggregateError of the attempts.
  if (error instanceof AggregateError && error.errors.length > 0) return describeSocketError(error.errors[0])
  const message = error instanceof Error ? error.message : String(error)
  return message.length > 80 ? `${message.slice(0, 77)}...` : message
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const seconds = ms / 1000
  return Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(1)}s`
}
