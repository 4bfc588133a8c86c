import type { EmulatorClock } from './clock.js'
import type { EventFeed, ServiceName } from './events.js'
import type { Authorization } from './wire/authorization.js'

export interface CallRecord {
  readonly seq: number
  readonly service: ServiceName
  /** The API action, or for IMDS the path. */
  readonly action: string
  /** The calling instance: known for IMDS, and for API calls signed with emulator.env() keys. */
  readonly instanceId: string | undefined
  /** Emulator-clock time the request arrived. */
  readonly at: number
  /** Wall-clock time the request arrived: what rates (TPS) are measured in by default. */
  readonly wallAt: number
  /** `ok`, the error code answered (`ThrottlingException`, ...), or `reset`. */
  outcome: string
  /** What IAM would have evaluated: action, resource ARN and condition context (none for IMDS). */
  readonly authorizations: readonly Authorization[]
}

export interface CallFilter {
  readonly service?: ServiceName
  readonly action?: string
  readonly instanceId?: string
  readonly outcome?: string
}

/** Every request every endpoint received, so tests can count calls and measure rates. */
export class CallLog {
  #records: CallRecord[] = []
  #seq = 0

  constructor(private readonly clock: EmulatorClock, private readonly events: EventFeed) {}

  start(service: ServiceName, action: string, instanceId: string | undefined, authorizations: readonly Authorization[] = []): CallRecord {
    const record: CallRecord = { seq: this.#seq++, service, action, instanceId, at: this.clock.now(), wallAt: Date.now(), outcome: 'pending', authorizations }
    this.#records.push(record)
    return record
  }

  finish(record: CallRecord, outcome: string): void {
    record.outcome = outcome
    this.events.emit({ type: 'call', service: record.service, action: record.action, outcome })
  }

  count(filter: CallFilter = {}): number {
    return this.list(filter).length
  }

  list(filter: CallFilter = {}): readonly CallRecord[] {
    return this.#records.filter((r) =>
      (filter.service === undefined || r.service === filter.service)
      && (filter.action === undefined || r.action === filter.action)
      && (filter.instanceId === undefined || r.instanceId === filter.instanceId)
      && (filter.outcome === undefined || r.outcome === filter.outcome))
  }

  /** The most calls matching the filter inside any window of windowMs (default: one second). */
  peakRate(filter: CallFilter = {}, options: { windowMs?: number; time?: 'wall' | 'emulator' } = {}): number {
    const windowMs = options.windowMs ?? 1000
    const times = this.list(filter).map((r) => (options.time === 'emulator' ? r.at : r.wallAt)).sort((a, b) => a - b)
    let peak = 0
    let start = 0
    for (let end = 0; end < times.length; end++) {
      while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++
      peak = Math.max(peak, end - start + 1)
    }
    return peak
  }

  reset(): void {
    this.#records = []
  }
}
