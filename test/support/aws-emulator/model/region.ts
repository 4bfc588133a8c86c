import type { EmulatorClock } from '../clock.js'
import type { EventFeed } from '../events.js'
import { AutoScaling, type InstanceLifecycleListener } from './auto-scaling.js'
import { Ec2Instances, type SpotInstanceAction } from './ec2-instances.js'
import { LaunchTemplates } from './launch-templates.js'
import { ParameterStore } from './parameter-store.js'

export interface RegionOptions {
  readonly region: string
  readonly accountId: string
  readonly availabilityZones: readonly string[]
  readonly clock: EmulatorClock
  readonly events: EventFeed
  readonly launchDelayMs: number
  readonly lifecycle: InstanceLifecycleListener
}

/**
 * One account's slice of one region: the state behind every emulated service, plain TypeScript
 * with no HTTP, so its behaviour can be tested directly and the wire handlers stay thin.
 */
export class Region {
  readonly name: string
  readonly accountId: string
  readonly availabilityZones: readonly string[]
  readonly clock: EmulatorClock
  readonly events: EventFeed
  readonly parameters: ParameterStore
  readonly ec2: Ec2Instances
  readonly launchTemplates: LaunchTemplates
  readonly autoScaling: AutoScaling
  readonly #timers = new Set<{ cancel(): void }>()

  constructor(options: RegionOptions) {
    this.name = options.region
    this.accountId = options.accountId
    this.availabilityZones = options.availabilityZones
    this.clock = options.clock
    this.events = options.events
    const shared = { clock: options.clock, events: options.events, region: options.region, accountId: options.accountId }
    this.parameters = new ParameterStore(shared)
    this.ec2 = new Ec2Instances(shared)
    this.launchTemplates = new LaunchTemplates(shared)
    this.autoScaling = new AutoScaling({
      ...shared,
      ec2: this.ec2,
      templates: this.launchTemplates,
      launchDelayMs: options.launchDelayMs,
      lifecycle: options.lifecycle,
    })
  }

  /**
   * The two-minute warning: IMDS spot/instance-action appears now; at the deadline the VM is
   * reclaimed (unless reclaim is false), without waiting for lifecycle hooks, and its group
   * launches a replacement.
   */
  scheduleSpotInterruption(instanceId: string, options: { action?: SpotInstanceAction['action']; noticeMs?: number; reclaim?: boolean } = {}): SpotInstanceAction {
    const instance = this.ec2.require(instanceId)
    const noticeMs = options.noticeMs ?? 120_000
    const time = new Date(this.clock.now() + noticeMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const notice: SpotInstanceAction = { action: options.action ?? 'terminate', time }
    instance.spotInstanceAction = notice
    this.events.emit({ type: 'spot-interruption', instanceId, time })
    if (options.reclaim ?? true) {
      const timer = this.clock.after(noticeMs, () => {
        this.#timers.delete(timer)
        this.autoScaling.killInstance(instanceId)
      })
      this.#timers.add(timer)
    }
    return notice
  }

  dispose(): void {
    this.autoScaling.dispose()
    for (const timer of this.#timers) timer.cancel()
    this.#timers.clear()
  }
}
