import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startMetricsEndpoint, type MetricsEndpoint } from '../../../src/adapters/metrics/metrics-endpoint.js'
import { metricsAddress, readLiveStatus } from '../../../src/adapters/metrics/live-status.js'
import { PrometheusMetrics } from '../../../src/adapters/metrics/prometheus-metrics.js'
import { NO_METRICS } from '../../../src/ports/metrics.js'
import type { StatusReport } from '../../../src/ports/status-store.js'
import { MemoryLogger } from '../../support/memory-logger.js'
import { Scrape, scrape } from './prometheus-text.js'

const report = (over: Partial<StatusReport> = {}, restarts = 0): StatusReport => ({
  pid: 4242,
  instanceId: 'i-1',
  service: 'web',
  revision: 'abc123',
  state: 'ready',
  since: 1,
  updatedAt: 2,
  containers: [
    { name: 'app', image: 'app:1', phase: 'running', health: 'healthy', restarts },
    { name: 'worker', image: 'worker:1', phase: 'exited', health: 'unknown', restarts: 0 },
  ],
  ...over,
})

describe('PrometheusMetrics', () => {
  it('shows each container, the instance and its revision as the status says', async () => {
    const metrics = new PrometheusMetrics()
    metrics.status(report({}, 2))
    metrics.status(report({ state: 'crash-loop' }, 5))
    const s = new Scrape(await metrics.text())
    expect(s.value('deckhand_container_up', { container: 'app' })).toBe(1)
    expect(s.value('deckhand_container_up', { container: 'worker' })).toBe(0)
    expect(s.value('deckhand_container_healthy', { container: 'app' })).toBe(1)
    // Counted from this agent's start: the first report is the baseline.
    expect(s.value('deckhand_container_restarts_total', { container: 'app' })).toBe(3)
    expect(s.value('deckhand_instance_state', { state: 'crash-loop' })).toBe(1)
    expect(s.value('deckhand_instance_state', { state: 'ready' })).toBe(0)
    expect(s.value('deckhand_instance_info', { service: 'web', instance: 'i-1', revision: 'abc123' })).toBe(1)
  })

  it('counts exits, OOM kills, respawns, the boot, gate decisions and calls', async () => {
    const metrics = new PrometheusMetrics()
    metrics.containerExited('app', { exitCode: 137, oomKilled: true })
    metrics.containerExited('app', { exitCode: 3, oomKilled: false })
    metrics.respawned('app', 40)
    metrics.respawned('app', 260)
    metrics.booted(1_500, 'ready')
    metrics.gateDecision({ decision: 'wait', code: 'no-budget' })
    metrics.gateDecision({ decision: 'wait', code: 'no-budget' })
    metrics.call('aws', 'GetParameter', 'throttled')
    metrics.call('docker', 'start', 'ok')
    metrics.instanceState('draining', 'def456')
    const s = new Scrape(await metrics.text())
    expect(s.value('deckhand_container_last_exit_code', { container: 'app' })).toBe(3)
    expect(s.value('deckhand_container_oom_kills_total', { container: 'app' })).toBe(1)
    expect(s.histogram('deckhand_respawn_duration_seconds')).toEqual({ count: 2, sum: 0.3 })
    expect(s.value('deckhand_boot_duration_seconds', { outcome: 'ready' })).toBe(1.5)
    expect(s.value('deckhand_gate_decisions_total', { decision: 'wait', code: 'no-budget' })).toBe(2)
    expect(s.value('deckhand_aws_calls_total', { operation: 'GetParameter', outcome: 'throttled' })).toBe(1)
    expect(s.value('deckhand_docker_calls_total', { operation: 'start', outcome: 'ok' })).toBe(1)
    expect(s.value('deckhand_instance_state', { state: 'draining' })).toBe(1)
    expect(s.value('deckhand_instance_info', { revision: 'def456' })).toBe(1)
  })
})

describe('the metrics endpoint', () => {
  const open: (MetricsEndpoint | Server)[] = []
  afterEach(async () => {
    for (const o of open.splice(0)) await ('url' in o ? o.close() : new Promise((r) => o.close(r)))
  })

  it('serves /metrics and /status, and the status reader reads it back', async () => {
    const endpoint = await startMetricsEndpoint({ address: '127.0.0.1:0', logger: new MemoryLogger() })
    open.push(endpoint)
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${endpoint.url}/status`)).status).toBe(503)
    endpoint.metrics.status(report())
    expect((await scrape(endpoint.url ?? '')).value('deckhand_container_up', { container: 'app' })).toBe(1)
    expect(await (await fetch(`${endpoint.url}/status`)).json()).toEqual(report())
    expect(await readLiveStatus(endpoint.url?.replace('http://', ''))).toEqual(report())
    expect((await fetch(`${endpoint.url}/nothing`)).status).toBe(404)
  })

  it('says in one sentence that the address is taken, naming it and DECKHAND_METRICS_ADDR, and serves nothing', async () => {
    const taken = createServer()
    open.push(taken)
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(taken.address() as AddressInfo).port}`
    const logger = new MemoryLogger()
    const endpoint = await startMetricsEndpoint({ address, logger })
    expect(endpoint.metrics).toBe(NO_METRICS)
    expect(endpoint.url).toBeUndefined()
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      `${address} is already in use, so deckhand serves no metrics or status there and keeps supervising; set DECKHAND_METRICS_ADDR to a free host:port, or to off.`,
    ])
  })

  it('reads DECKHAND_METRICS_ADDR: the loopback default, off, IPv6, and a sentence for anything else', () => {
    expect(metricsAddress(undefined)).toEqual({ host: '127.0.0.1', port: 9797 })
    expect(metricsAddress('OFF')).toBeUndefined()
    expect(metricsAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 })
    expect(metricsAddress('0.0.0.0:9797')).toEqual({ host: '0.0.0.0', port: 9797 })
    expect(metricsAddress('9797')).toEqual({ invalid: 'DECKHAND_METRICS_ADDR=9797 is not an address (write it like 127.0.0.1:9797, [::1]:9797 or off)' })
    expect(metricsAddress('localhost:99999')).toHaveProperty('invalid')
  })

  it('finds no live status where nothing listens', async () => {
    const free = createServer()
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
    const port = (free.address() as AddressInfo).port
    await new Promise((r) => free.close(r))
    expect(await readLiveStatus(`127.0.0.1:${port}`)).toBeUndefined()
    expect(await readLiveStatus('off')).toBeUndefined()
  })
})
