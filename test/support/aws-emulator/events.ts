import type { Ec2State } from './model/ec2-instances.js'
import type { HealthStatus, LifecycleState } from './model/auto-scaling.js'

export type ServiceName = 'ssm' | 'autoscaling' | 'ec2' | 'ecr' | 'imds'

/** Everything that changes in the emulated region. waitFor re-checks its predicate after each. */
export type EmulatorEvent =
  | { readonly type: 'instance-launched'; readonly instanceId: string; readonly groupName: string }
  | { readonly type: 'instance-state'; readonly instanceId: string; readonly state: Ec2State }
  | { readonly type: 'lifecycle-state'; readonly instanceId: string; readonly groupName: string; readonly from: LifecycleState | undefined; readonly to: LifecycleState }
  | { readonly type: 'health'; readonly instanceId: string; readonly status: HealthStatus }
  | { readonly type: 'lifecycle-action'; readonly instanceId: string; readonly hookName: string; readonly result: 'CONTINUE' | 'ABANDON'; readonly by: 'api' | 'timeout' }
  | { readonly type: 'heartbeat'; readonly instanceId: string; readonly hookName: string }
  | { readonly type: 'tags'; readonly resourceId: string }
  | { readonly type: 'parameter'; readonly name: string; readonly version: number | undefined }
  | { readonly type: 'desired-capacity'; readonly groupName: string; readonly desired: number }
  | { readonly type: 'launch-template'; readonly templateId: string; readonly version: number }
  | { readonly type: 'spot-interruption'; readonly instanceId: string; readonly time: string }
  | { readonly type: 'imds-ready'; readonly instanceId: string; readonly endpoint: string }
  | { readonly type: 'call'; readonly service: ServiceName; readonly action: string; readonly outcome: string }
  | { readonly type: 'launcher-error'; readonly instanceId: string; readonly phase: 'launch' | 'terminate'; readonly error: unknown }

export type EventListener = (event: EmulatorEvent) => void

export interface WaitOptions {
  /** Wall-clock milliseconds before giving up; default 10 000. */
  readonly timeoutMs?: number
  /** Named in the timeout error, so a failing test says what it was waiting for. */
  readonly description?: string
}

/**
 * The emulator's single change feed. State is only ever changed synchronously by the model, so a
 * predicate is re-checked once per microtask after events, never mid-change, and never by polling.
 */
export class EventFeed {
  #listeners = new Set<EventListener>()
  #recent: EmulatorEvent[] = []
  #closed = new Set<(error: Error) => void>()

  emit(event: EmulatorEvent): void {
    this.#recent.push(event)
    if (this.#recent.length > 200) this.#recent.shift()
    for (const listener of [...this.#listeners]) listener(event)
  }

  on(listener: EventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The last events, newest last: what a timeout error shows. */
  recent(count = 20): readonly EmulatorEvent[] {
    return this.#recent.slice(-count)
  }

  waitFor<T>(predicate: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000
    return new Promise<T>((resolve, reject) => {
      let queued = false
      const finish = (action: () => void): void => {
        unsubscribe()
        clearTimeout(timer)
        this.#closed.delete(onClose)
        action()
      }
      const check = (): void => {
        queued = false
        try {
          const value = predicate()
          if (value !== undefined && value !== null && value !== false) finish(() => resolve(value))
        } catch (error) {
          finish(() => reject(error))
        }
      }
      const unsubscribe = this.on(() => {
        if (queued) return
        queued = true
        queueMicrotask(check)
      })
      const timer = setTimeout(() => {
        const recent = this.recent(10).map((e) => JSON.stringify(e, (_k, v: unknown) => (v instanceof Error ? v.message : v)))
        const what = options.description ? ` for ${options.description}` : ''
        finish(() => reject(new Error(`waitFor timed out after ${timeoutMs} ms${what}; last events:\n  ${recent.join('\n  ')}`)))
      }, timeoutMs)
      const onClose = (error: Error): void => finish(() => reject(error))
      this.#closed.add(onClose)
      check()
    })
  }

  /** Rejects every pending waitFor: the emulator is going away. */
  close(): void {
    for (const onClose of [...this.#closed]) onClose(new Error('the AWS emulator was closed while waiting'))
    this.#listeners.clear()
  }
}
