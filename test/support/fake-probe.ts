import type { HealthProbe, ProbeResult, ProbeTarget } from '../../src/ports/health-probe.js'

/** Probes answer what the test says per target key (`http:URL` or `tcp:HOST:PORT`); unknown targets fail. */
export class FakeProbe implements HealthProbe {
  private readonly answers = new Map<string, ProbeResult>()
  readonly calls: string[] = []

  set(key: string, healthy: boolean, detail?: string): void {
    this.answers.set(key, detail === undefined ? { healthy } : { healthy, detail })
  }

  async probe(target: ProbeTarget): Promise<ProbeResult> {
    const key = target.kind === 'http' ? `http:${target.url}` : `tcp:${target.host}:${target.port}`
    this.calls.push(key)
    return this.answers.get(key) ?? { healthy: false, detail: 'connection refused' }
  }
}
