import { Agent } from '../../../src/core/agent/agent.js'
import { ParallelImageFetcher } from '../../../src/adapters/images/parallel-image-fetcher.js'
import { FakeFleet, FakeHostShutdown, FakeMetadata, FakeSsm } from '../../support/fake-aws.js'
import { FakeProbe } from '../../support/fake-probe.js'
import { FakeRuntime } from '../../support/fake-runtime.js'
import { ManualClock } from '../../support/manual-clock.js'
import { MemoryLogger } from '../../support/memory-logger.js'
import type { BootRecord, BootRecordStore } from '../../../src/ports/boot-record.js'
import type { GroupInfo } from '../../../src/ports/fleet.js'
import type { LaunchTemplateRef } from '../../../src/core/rollout/group-view.js'

/** One agent on fakes and a manual clock, for test/core/agent. */
export const MANIFEST = `
containers:
  app: { image: "app:\${version}", health: { tcp: 3000, interval: 1s } }
  proxy: { image: "proxy:1", dependsOn: [app] }
rollout: { bootDeadline: 1m }
`

export interface Shared {
  runtime: FakeRuntime
  clock: ManualClock
  ssm: FakeSsm
  records: Map<string, BootRecord>
  fleet?: FakeFleet
}

export function setup(options: { hooks?: boolean; manifest?: string; formulaInterval?: boolean; shared?: Shared; records?: BootRecordStore; info?: Partial<GroupInfo> } = {}) {
  const clock = options.shared?.clock ?? new ManualClock()
  const runtime = options.shared?.runtime ?? new FakeRuntime(clock)
  const records = options.shared?.records ?? new Map<string, BootRecord>()
  for (const image of ['app:1', 'app:2', 'proxy:1']) runtime.images.set(image, {})
  const probe = new FakeProbe()
  probe.set('tcp:127.0.0.1:3000', true)
  const ssm = options.shared?.ssm ?? new FakeSsm()
  if (!options.shared) {
    ssm.put('/deckhand/web-asg/manifest', options.manifest ?? MANIFEST)
    ssm.put('/deckhand/web-asg/version', '1')
  }
  const fleet = options.shared?.fleet ?? new FakeFleet('i-0123')
  if (options.info) fleet.info = { ...fleet.info, ...options.info }
  if (options.hooks === false) fleet.info = { ...fleet.info, hooks: { launching: [], terminating: [] } }
  const metadata = new FakeMetadata({ instanceId: 'i-0123', region: 'eu-west-1', availabilityZone: 'eu-west-1a', instanceType: 't3.small', imageId: 'ami-1', privateIp: '10.0.0.1' })
  metadata.tags = () => fleet.tags.get('i-0123') ?? {}
  const logger = new MemoryLogger()
  const hostShutdown = new FakeHostShutdown()
  const agent = new Agent({
    hostShutdown,
    metadata,
    connect: () => ({ config: ssm, fleet, runtime, images: new ParallelImageFetcher({ runtime, logger, attempts: 1 }) }),
    volumes: () => ({ prepare: async () => ({ kind: 'tmpfs' }), release: async () => {} }),
    probe,
    clock,
    scheduler: clock,
    logger,
    host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
    bootRecord: options.records ?? { read: async () => records.get('record'), write: async (r) => void records.set('record', r) },
    runningEnv: runtime,
    random: () => 0.5,
    ...(options.formulaInterval === true ? {} : { driftIntervalMs: 60_000 }),
  })
  let stop!: (signal: string) => void
  const stopRequested = new Promise<string>((resolve) => (stop = resolve))
  const exit = agent.run(stopRequested)
  const advance = (ms: number) => clock.advance(ms)
  return { clock, runtime, probe, ssm, fleet, metadata, logger, agent, exit, stop, advance, records, hostShutdown }
}

/** The deckhand:state of each CreateTags call, in order. */
export function stateWrites(fleet: FakeFleet): string[] {
  return fleet.calls.flatMap((c) => {
    const state = /^tag .*deckhand:state=([a-z-]+)/.exec(c)?.[1]
    return state === undefined ? [] : [state]
  })
}

/** The view shows this instance launched from `template` (EC2's aws:ec2launchtemplate tags). */
export function launchedFrom(fleet: FakeFleet, template: LaunchTemplateRef): void {
  const view = fleet.view.bind(fleet)
  fleet.view = async () => {
    const seen = await view()
    return { ...seen, instances: seen.instances.map((i) => (i.id === 'i-0123' ? { ...i, launchTemplate: template } : i)) }
  }
}

