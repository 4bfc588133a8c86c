import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../../ports/logger.js'
import { NO_METRICS, type Metrics } from '../../ports/metrics.js'
import { metricsAddress } from './live-status.js'
import { PrometheusMetrics } from './prometheus-metrics.js'

export interface MetricsEndpoint {
  /** Where deckhand's calls are counted: NO_METRICS when nothing is served. */
  readonly metrics: Metrics
  /** http://host:port of the endpoint, undefined when none is served. */
  readonly url: string | undefined
  close(): Promise<void>
}

/**
 * Serves GET /metrics (Prometheus text) and GET /status (the status document) on
 * DECKHAND_METRICS_ADDR. Nothing here stops deckhand: an address that is taken or wrong is one
 * warning naming it and the variable, and supervision goes on without the endpoint (and without
 * counting, since nobody could read the counts).
 */
export async function startMetricsEndpoint(options: { readonly address: string | undefined; readonly logger: Logger }): Promise<MetricsEndpoint> {
  const none: MetricsEndpoint = { metrics: NO_METRICS, url: undefined, close: async () => undefined }
  const address = metricsAddress(options.address)
  if (address === undefined) return none
  if ('invalid' in address) {
    options.logger.warn({ reason: address.invalid }, `${address.invalid}, so deckhand serves no metrics or status and keeps supervising.`)
    return none
  }
  const metrics = new PrometheusMetrics()
  const server = createServer((request, response) => void answer(metrics, request, response))
  // An idle Prometheus connection must not keep a drained `up` from exiting.
  server.keepAliveTimeout = 5_000
  const shown = address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: address.host, port: address.port }, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be served (${code ?? (error as Error).message})`
    options.logger.warn(
      { address: shown, reason: code },
      `${shown} ${why}, so deckhand serves no metrics or status there and keeps supervising; set DECKHAND_METRICS_ADDR to a free host:port, or to off.`,
    )
    return none
  }
  server.on('error', (error) => options.logger.warn({ reason: error.message }, 'metrics endpoint error'))
  const port = (server.address() as AddressInfo).port
  const url = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`
  options.logger.info({ url }, 'serving metrics and status')
  return {
    metrics,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function answer(metrics: PrometheusMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'GET only\n')
  if (path === '/metrics') {
    try {
      return send(response, 200, metrics.contentType, await metrics.text())
    } catch (error) {
      return send(response, 500, 'text/plain; charset=utf-8', `${(error as Error).message}\n`)
    }
  }
  if (path === '/status') {
    const report = metrics.report
    if (report === undefined) return send(response, 503, 'application/json', `${JSON.stringify({ error: 'no status yet: the boot has not started any container' })}\n`)
    return send(response, 200, 'application/json', `${JSON.stringify(report)}\n`)
  }
  send(response, 404, 'text/plain; charset=utf-8', 'deckhand serves /metrics and /status\n')
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  response.end(response.req.method === 'HEAD' ? undefined : body)
}
