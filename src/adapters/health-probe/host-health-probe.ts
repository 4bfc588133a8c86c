import { connect } from 'node:net'
import { callScope } from '../call-scope.js'
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

/** Healthy on 2xx or 3xx. Redirects are not followed: a 302 to a login page still means the server answers. */
async function probeHttp(url: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<ProbeResult> {
  const scope = callScope(signal, timeoutMs)
  try {
    const response = await fetch(url, { method: 'GET', redirect: 'manual', signal: scope.signal })
    // Only the status matters; dropping the body frees the connection.
    await response.body?.cancel().catch(() => undefined)
    return response.status >= 200 && response.status < 400 ? { healthy: true } : { healthy: false, detail: `HTTP ${response.status}` }
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason
    if (scope.timedOut) return { healthy: false, detail: `timed out after ${formatMs(timeoutMs)}` }
    return { healthy: false, detail: describeSocketError((error as { cause?: unknown }).cause ?? error) }
  } finally {
    scope.dispose()
  }
}

/** Healthy once the connection is accepted; it is closed at once. */
function probeTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve, reject) => {
    const socket = connect({ host, port })
    const finish = (outcome: () => void): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      outcome()
    }
    const onAbort = (): void => finish(() => reject(signal?.reason))
    const timer = setTimeout(() => finish(() => resolve({ healthy: false, detail: `timed out after ${formatMs(timeoutMs)}` })), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => finish(() => resolve({ healthy: true })))
    socket.once('error', (error) => finish(() => resolve({ healthy: false, detail: describeSocketError(error) })))
  })
}

const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
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
