/** http and tcp health checks, run by the agent from the host. */
export type ProbeTarget =
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }

export interface ProbeResult {
  readonly healthy: boolean
  /** A short reason when unhealthy, e.g. "HTTP 503" or "connection refused". */
  readonly detail?: string
}

export interface HealthProbe {
  probe(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult>
}
