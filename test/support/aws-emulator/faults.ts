import type { Cancellable } from '../../../src/ports/clock.js'
import type { EmulatorClock } from './clock.js'
import type { ServiceName } from './events.js'

/**
 * What can go wrong with a service, each rendered the way that service really fails:
 * - throttle: SSM/ECR `ThrottlingException`, Auto Scaling `Throttling`, EC2 `RequestLimitExceeded`
 *   (HTTP 503), IMDS HTTP 429; the SDK retries all of them by itself.
 * - server-error: HTTP 500 or 503 with the service's code (InternalServerError, InternalFailure,
 *   InternalError, ServerException, ServiceUnavailable, Unavailable), or the code you give.
 * - rate-limit: a token bucket (burst, refill per second, in wall-clock time) in front of the
 *   service or action, answering the service's throttle once it is empty: AWS's own quotas, e.g.
 *   SSM Get* at 40 TPS or EC2 DescribeInstances at 100 burst / 20 per second.
 * - denied: the caller's role lacks the permission: SSM/ECR `AccessDeniedException`, Auto Scaling
 *   `AccessDenied` (403), EC2 `UnauthorizedOperation` (403); no SDK retries it.
 * - latency: wall-clock delay before the answer, added on top of any other fault.
 * - outage: `reset` drops the connection after reading the request (ECONNRESET); `refuse` stops
 *   listening altogether (ECONNREFUSED), so it applies to a whole service or one instance's IMDS.
 */
export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'denied' }
  | { readonly kind: 'server-error'; readonly status?: 500 | 503; readonly code?: string }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'rate-limit'; readonly perSecond: number; readonly burst?: number }
  | { readonly kind: 'outage'; readonly mode?: 'reset' | 'refuse' }

export interface FaultScope {
  /** An API action (`GetParameters`), or for IMDS a path (`/latest/api/token`). All when absent. */
  readonly action?: string
  /** IMDS only: the instance whose metadata service misbehaves. All when absent. */
  readonly instanceId?: string
  /** On the emulator clock. Until cleared when absent. */
  readonly durationMs?: number
  /** Only the next N matching requests. */
  readonly times?: number
}

export interface FaultSpec extends FaultScope {
  readonly service: ServiceName
  readonly fault: Fault
}

export interface FaultHandle {
  /** Requests this fault has been applied to so far. */
  readonly hits: number
  readonly active: boolean
  /** Resolves once the endpoints have caught up (a refusing listener is listening again). */
  clear(): Promise<void>
}

export interface FaultDecision {
  readonly latencyMs: number
  /** The failure to answer with, if any (a rate limit answers as a throttle). */
  readonly failure: Exclude<Fault, { kind: 'latency' } | { kind: 'rate-limit' }> | undefined
}

interface ActiveFault {
  readonly spec: FaultSpec
  remaining: number | undefined
  hits: number
  active: boolean
  expiry: Cancellable | undefined
  bucket: { tokens: number; refilledAt: number } | undefined
}

/** The fault registry every emulated endpoint consults once per request. */
export class Faults {
  #faults: ActiveFault[] = []
  readonly #refusalListeners = new Set<() => void | Promise<void>>()

  constructor(private readonly clock: EmulatorClock) {}

  inject(spec: FaultSpec): FaultHandle {
    if (spec.fault.kind === 'outage' && spec.fault.mode === 'refuse' && (spec.action !== undefined || spec.times !== undefined)) {
      throw new Error('a refused connection never reaches an action: inject `refuse` for a whole service (or one IMDS) and for a duration or until cleared')
    }
    const bucket = spec.fault.kind === 'rate-limit' ? { tokens: spec.fault.burst ?? spec.fault.perSecond, refilledAt: performance.now() } : undefined
    const entry: ActiveFault = { spec, remaining: spec.times, hits: 0, active: true, expiry: undefined, bucket }
    if (spec.durationMs !== undefined) entry.expiry = this.clock.after(spec.durationMs, () => void this.#remove(entry))
    this.#faults.push(entry)
    if (isRefusal(spec.fault)) void this.#notifyRefusal()
    return {
      get hits() { return entry.hits },
      get active() { return entry.active },
      clear: () => this.#remove(entry),
    }
  }

  throttle(service: ServiceName, scope: FaultScope = {}): FaultHandle {
    return this.inject({ ...scope, service, fault: { kind: 'throttle' } })
  }

  denied(service: ServiceName, scope: FaultScope = {}): FaultHandle {
    return this.inject({ ...scope, service, fault: { kind: 'denied' } })
  }

  serverError(service: ServiceName, scope: FaultScope & { status?: 500 | 503; code?: string } = {}): FaultHandle {
    const { status, code, ...rest } = scope
    return this.inject({ ...rest, service, fault: { kind: 'server-error', ...(status === undefined ? {} : { status }), ...(code === undefined ? {} : { code }) } })
  }

  /** Throttles whatever exceeds `perSecond` after a burst (default: one second's worth). */
  rateLimit(service: ServiceName, limit: { perSecond: number; burst?: number }, scope: FaultScope = {}): FaultHandle {
    return this.inject({ ...scope, service, fault: { kind: 'rate-limit', ...limit } })
  }

  latency(service: ServiceName, ms: number, scope: FaultScope = {}): FaultHandle {
    return this.inject({ ...scope, service, fault: { kind: 'latency', ms } })
  }

  outage(service: ServiceName, scope: FaultScope & { mode?: 'reset' | 'refuse' } = {}): FaultHandle {
    const { mode, ...rest } = scope
    return this.inject({ ...rest, service, fault: { kind: 'outage', mode: mode ?? 'reset' } })
  }

  /** Clears every fault, or those of one service. */
  async clear(service?: ServiceName): Promise<void> {
    const cleared = this.#faults.filter((entry) => service === undefined || entry.spec.service === service)
    await Promise.all(cleared.map((entry) => this.#remove(entry)))
  }

  /** Decides the fate of one request, and counts it against `times`. */
  decide(service: ServiceName, action: string, instanceId?: string): FaultDecision {
    let latencyMs = 0
    let failure: FaultDecision['failure']
    for (const entry of [...this.#faults]) {
      const { spec } = entry
      if (spec.service !== service) continue
      if (spec.action !== undefined && spec.action !== action) continue
      if (spec.instanceId !== undefined && spec.instanceId !== instanceId) continue
      const fault = spec.fault
      if (fault.kind === 'latency') latencyMs += fault.ms
      else if (failure !== undefined) continue
      else if (fault.kind === 'rate-limit') {
        if (takeToken(entry, fault)) continue
        failure = { kind: 'throttle' }
      } else failure = isRefusal(fault) ? { kind: 'outage', mode: 'reset' } : fault
      entry.hits++
      if (entry.remaining !== undefined && --entry.remaining <= 0) void this.#remove(entry)
    }
    return { latencyMs, failure }
  }

  /** Whether a listener should be closed right now. */
  isRefusing(service: ServiceName, instanceId?: string): boolean {
    return this.#faults.some((e) => e.spec.service === service && isRefusal(e.spec.fault)
      && (e.spec.instanceId === undefined || e.spec.instanceId === instanceId))
  }

  onRefusalChange(listener: () => void | Promise<void>): () => void {
    this.#refusalListeners.add(listener)
    return () => this.#refusalListeners.delete(listener)
  }

  dispose(): void {
    for (const entry of this.#faults) entry.expiry?.cancel()
    this.#faults = []
    this.#refusalListeners.clear()
  }

  async #remove(entry: ActiveFault): Promise<void> {
    if (!entry.active) return
    entry.active = false
    entry.expiry?.cancel()
    this.#faults = this.#faults.filter((e) => e !== entry)
    if (isRefusal(entry.spec.fault)) await this.#notifyRefusal()
  }

  async #notifyRefusal(): Promise<void> {
    await Promise.all([...this.#refusalListeners].map((listener) => listener()))
  }
}

function takeToken(entry: ActiveFault, limit: { perSecond: number; burst?: number }): boolean {
  const bucket = entry.bucket
  if (!bucket) return true
  const now = performance.now()
  bucket.tokens = Math.min(limit.burst ?? limit.perSecond, bucket.tokens + ((now - bucket.refilledAt) / 1000) * limit.perSecond)
  bucket.refilledAt = now
  if (bucket.tokens < 1) return false
  bucket.tokens -= 1
  return true
}

function isRefusal(fault: Fault): boolean {
  return fault.kind === 'outage' && fault.mode === 'refuse'
}
