import { get } from 'node:http'
import type { StatusReport } from '../../ports/status-store.js'

/** SPEC §7: loopback only unless someone says otherwise. */
export const DEFAULT_METRICS_ADDR = '127.0.0.1:9797'

export interface MetricsAddress {
  readonly host: string
  readonly port: number
}

/**
 * DECKHAND_METRICS_ADDR: `host:port` or `[v6 address]:port`, `off` for none, unset for the
 * default. Returns the address, undefined for off, or the sentence saying what is wrong.
 */
export function metricsAddress(text: string | undefined): MetricsAddress | undefined | { readonly invalid: string } {
  const value = text === undefined || text.trim() === '' ? DEFAULT_METRICS_ADDR : text.trim()
  if (value.toLowerCase() === 'off') return undefined
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value)
  const port = Number(match?.[3])
  if (!match || port > 65_535) return { invalid: `DECKHAND_METRICS_ADDR=${value} is not an address (write it like 127.0.0.1:9797, [::1]:9797 or off)` }
  return { host: match[1] ?? match[2] ?? '', port }
}

/**
 * The running agent's status document from its endpoint, or undefined when nothing answers at
 * the address in time (no agent, another program, the endpoint off).
 */
export function readLiveStatus(text: string | undefined, timeoutMs = 1_000): Promise<StatusReport | undefined> {
  const address = metricsAddress(text)
  if (address === undefined || 'invalid' in address) return Promise.resolve(undefined)
  return new Promise((resolve) => {
    const request = get({ host: address.host, port: address.port, path: '/status', timeout: timeoutMs }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        if (response.statusCode !== 200) return resolve(undefined)
        try {
          const report = JSON.parse(body) as StatusReport
          resolve(typeof report.pid === 'number' && Array.isArray(report.containers) ? report : undefined)
        } catch {
          resolve(undefined)
        }
      })
      response.on('error', () => resolve(undefined))
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(undefined))
  })
}
