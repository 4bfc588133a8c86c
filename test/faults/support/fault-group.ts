import Dockerode from 'dockerode'
import { afterEach, beforeAll, onTestFailed } from 'vitest'
import { AgentLauncher } from '../../support/agent-launcher.js'
import { startEmulator, type EmulatedInstance, type Emulator, type EmulatorEvent } from '../../support/aws-emulator/index.js'
import { assertTestEnvironment, images } from '../../support/images.js'
import { waitFor } from '../../support/wait.js'

export const docker = new Dockerode()
export const SERVICE = 'faults'
export const GROUP = 'faults-asg'

/**
 * Two containers, `app` after `db`; both sleepers log their stop to an `instance` volume, whose
 * `keep` file is the data a fault must not lose. No host ports, so groups may share the engine.
 */
export const MANIFEST = `
containers:
  db:
    image: ${images.sleeper}
    env: { NAME: db, STOP_LOG: /data/stops }
    volumes: ["data:/data"]
    stopTimeout: 5s
  app:
    image: ${images.web.replace(/:1$/, '')}:\${version}
    network: bridge
    dependsOn: [db]
    health: { cmd: ["wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"], interval: 1s, timeout: 1s, retries: 3 }
    volumes: ["data:/data"]
    stopTimeout: 5s
volumes:
  data: { instance: {} }
rollout:
  maxUnavailable: 1
  bootDeadline: 90s
`
export const CONTAINERS = ['app', 'db']

export interface FaultGroup {
  readonly emulator: Emulator
  readonly launcher: AgentLauncher
  readonly events: EmulatorEvent[]
  /** Every deckhand:state each instance has been tagged with, in order. */
  readonly states: Map<string, string[]>
  close(): Promise<void>
}

export interface FaultGroupOptions {
  readonly desired?: number
  readonly manifest?: string
  readonly agentEnv?: Readonly<Record<string, string>>
  /** Runs on each instance after it launched, before its agent starts. */
  readonly beforeAgent?: (launcher: AgentLauncher, instance: EmulatedInstance) => void
  /** Wait until every instance serves. Default true. */
  readonly waitServing?: boolean
  /** Print the agents' logs if the current test fails. Default true; false when started outside a test (beforeAll). */
  readonly reportFailures?: boolean
}

/** Prints every agent's log and the last emulator events if the current test fails. */
export function reportOnFailure(emulator: Emulator, launcher: AgentLauncher): void {
  onTestFailed(() => {
    console.log(`agent logs:\n${launcher.report()}\nlast emulator events:\n${emulator.recentEvents(30).map((e) => `  ${JSON.stringify(e, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`).join('\n')}`)
  })
}

/** Registers the file's hooks (the environment check, closing each test's group) and returns the starter. */
export function useFaultGroups(): (options?: FaultGroupOptions) => Promise<FaultGroup> {
  let current: FaultGroup | undefined
  beforeAll(async () => {
    await assertTestEnvironment()
  })
  afterEach(async () => {
    await current?.close()
    current = undefined
  })
  return async (options) => {
    current = await startFaultGroup({ ...options, waitServing: false })
    if (options?.waitServing !== false) await waitServing(current, options?.desired ?? 1)
    return current
  }
}

/** A group (default one instance) with launch and terminate hooks, real agents on the shared engine. */
export async function startFaultGroup(options: FaultGroupOptions = {}): Promise<FaultGroup> {
  const desired = options.desired ?? 1
  const launcher = new AgentLauncher(options.agentEnv ? { env: options.agentEnv } : {})
  const { beforeAgent } = options
  const emulator = await startEmulator({
    launcher: {
      launch: (instance, env) => {
        beforeAgent?.(launcher, instance)
        return launcher.launch(instance, env)
      },
      terminate: (id) => launcher.terminate(id),
    },
  })
  if (options.reportFailures !== false) reportOnFailure(emulator, launcher)
  const events: EmulatorEvent[] = []
  const states = new Map<string, string[]>()
  emulator.on((event) => {
    events.push(event)
    if (event.type !== 'tags') return
    const state = emulator.tags(event.resourceId)['deckhand:state']
    const seen = states.get(event.resourceId) ?? []
    if (state !== undefined && seen.at(-1) !== state) states.set(event.resourceId, [...seen, state])
  })
  emulator.putParameter(`/deckhand/${SERVICE}/manifest`, options.manifest ?? MANIFEST)
  emulator.putParameter(`/deckhand/${SERVICE}/version`, '1')
  await emulator.createGroup({
    name: GROUP,
    desired,
    tags: { 'deckhand:service': SERVICE },
    hooks: [
      { transition: 'launch', heartbeatTimeoutSeconds: 600 },
      { transition: 'terminate', heartbeatTimeoutSeconds: 600 },
    ],
  })
  const group: FaultGroup = {
    emulator,
    launcher,
    events,
    states,
    close: async () => {
      await emulator.close()
      await launcher.close()
    },
  }
  if (options.waitServing !== false) await waitServing(group, desired)
  return group
}

export function servingInstances(emulator: Emulator): EmulatedInstance[] {
  return emulator.instances({ group: GROUP }).filter((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy' && i.tags['deckhand:state'] === 'ready')
}

export function waitServing(group: FaultGroup, count: number, timeoutMs = 120_000): Promise<EmulatedInstance[]> {
  return group.emulator.waitFor(() => {
    const serving = servingInstances(group.emulator)
    return serving.length === count ? serving : undefined
  }, { timeoutMs, description: `${count} instance(s) to serve` })
}

export function lifecycleActions(group: FaultGroup, filter: { instanceId?: string; hookName?: string; result?: string } = {}) {
  return group.events.filter(
    (e): e is Extract<EmulatorEvent, { type: 'lifecycle-action' }> =>
      e.type === 'lifecycle-action' &&
      (filter.instanceId === undefined || e.instanceId === filter.instanceId) &&
      (filter.hookName === undefined || e.hookName === filter.hookName) &&
      (filter.result === undefined || e.result === filter.result),
  )
}

/**
 * Terminations nobody asked for since `since` (a mark from `markEvents`, default the start):
 * launch ABANDONs, Unhealthy marks, Terminating transitions and TerminateInstance calls. A test
 * that drains on purpose names the instances it terminated itself as `expected`.
 */
export function wrongfulTerminations(group: FaultGroup, expected: readonly string[] = [], since: EventMark = { events: 0, terminateCalls: 0 }): number {
  const wrong = new Set<string>()
  for (const e of group.events.slice(since.events)) {
    if (expected.includes('instanceId' in e ? e.instanceId : '')) continue
    if (e.type === 'lifecycle-action' && e.result === 'ABANDON') wrong.add(e.instanceId)
    if (e.type === 'health' && e.status === 'Unhealthy') wrong.add(e.instanceId)
    if (e.type === 'lifecycle-state' && e.to.startsWith('Terminating')) wrong.add(e.instanceId)
  }
  return wrong.size + terminateCalls(group) - since.terminateCalls
}

export interface EventMark {
  readonly events: number
  readonly terminateCalls: number
}

export function markEvents(group: FaultGroup): EventMark {
  return { events: group.events.length, terminateCalls: terminateCalls(group) }
}

function terminateCalls(group: FaultGroup): number {
  return group.emulator.calls.count({ service: 'autoscaling', action: 'TerminateInstanceInAutoScalingGroup' })
}

export interface ContainerCensus {
  /** deckhand.container name → container ids, for one instance. */
  readonly byName: Map<string, string[]>
  /** Containers of this instance labelled with another revision. */
  readonly otherRevision: number
  /** Names with a running container, healthy where Docker checks its health. */
  readonly serving: Set<string>
  readonly startedAt: Map<string, string>
}

export async function census(launcher: AgentLauncher, instanceId: string, revision: string): Promise<ContainerCensus> {
  const listed = await launcher.containers(instanceId)
  const inspected = await Promise.all(listed.map((c) => docker.getContainer(c.Id).inspect()))
  const byName = new Map<string, string[]>()
  for (const c of inspected) {
    const name = c.Config.Labels['deckhand.container'] ?? c.Name
    byName.set(name, [...(byName.get(name) ?? []), c.Id])
  }
  return {
    byName,
    otherRevision: inspected.filter((c) => c.Config.Labels['deckhand.revision'] !== revision).length,
    serving: new Set(inspected.filter((c) => c.State.Running && (c.State.Health === undefined || c.State.Health.Status === 'healthy')).map((c) => c.Config.Labels['deckhand.container'] ?? c.Name)),
    startedAt: new Map(inspected.map((c) => [c.Id, c.State.StartedAt])),
  }
}

/** Duplicates (two containers of one name) and orphans (another revision, or a name not in the manifest). */
export function strayContainers(c: ContainerCensus, names: readonly string[] = CONTAINERS): number {
  let stray = c.otherRevision
  for (const [name, ids] of c.byName) stray += names.includes(name) ? ids.length - 1 : ids.length
  return stray
}

/** The manifest's containers with none running (and healthy where Docker checks). */
export function lostContainers(c: ContainerCensus, names: readonly string[] = CONTAINERS): number {
  return names.filter((n) => !c.serving.has(n)).length
}

/** The census once every container serves (a respawn in flight comes back), or as it is after two minutes. */
export async function servingCensus(group: FaultGroup, instanceId: string, revision: string): Promise<ContainerCensus> {
  const serving = async () => {
    const c = await census(group.launcher, instanceId, revision)
    return lostContainers(c) === 0 ? c : undefined
  }
  return waitFor(`${instanceId}'s containers to serve`, serving, { timeoutMs: 120_000, everyMs: 200 }).catch(() => census(group.launcher, instanceId, revision))
}
