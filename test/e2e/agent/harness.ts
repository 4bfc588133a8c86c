import Dockerode from 'dockerode'
import { afterEach, beforeAll, expect, onTestFailed } from 'vitest'
import { AgentLauncher } from '../../support/agent-launcher.js'
import { startEmulator, type EmulatedInstance, type Emulator, type EmulatorEvent } from '../../support/aws-emulator/index.js'
import { assertTestEnvironment, images } from '../../support/images.js'

export const docker = new Dockerode()
export const SERVICE = 'fleet'
export const GROUP = 'fleet-asg'
export const DESIRED = 3
export const MAX_UNAVAILABLE = 1
export const WEB = images.web.replace(/:1$/, '')

// Three containers in a chain: db ← app ← worker. `app`'s image carries the release version
// (web:1 and web:2 exist; any other tag does not). It runs on a bridge network, since three
// instances share one engine and host ports would clash; its check runs inside the container.
// The sleepers write "<name> stopped" to an `instance` volume on SIGTERM, in stop order.
export const MANIFEST = `
containers:
  db:
    image: ${images.sleeper}
    env: { NAME: db, STOP_LOG: /log/stops }
    volumes: ["log:/log"]
    stopTimeout: 5s
  app:
    image: ${WEB}:\${version}
    network: bridge
    dependsOn: [db]
    health: { cmd: ["wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"], interval: 1s, timeout: 1s, retries: 3 }
    stopTimeout: 5s
  worker:
    image: ${images.sleeper}
    dependsOn: [app]
    env: { NAME: worker, STOP_LOG: /log/stops }
    volumes: ["log:/log"]
    stopTimeout: 5s
volumes:
  log: { instance: {} }
rollout:
  maxUnavailable: ${MAX_UNAVAILABLE}
  bootDeadline: 90s
`

export const BOOT_MS = 90_000
export const ROLL_MS = 150_000

export interface Fleet {
  readonly emulator: Emulator
  readonly launcher: AgentLauncher
  /** Every emulator event since the start, in order. */
  readonly events: EmulatorEvent[]
  /** The serving count, sampled after every emulator event. */
  readonly serving: number[]
  /** Every deckhand:state each instance has been tagged with, in order. */
  readonly states: Map<string, string[]>
}

let current: { emulator: Emulator; launcher: AgentLauncher } | undefined

/** Registers the suite's hooks: the environment check, and closing each test's fleet. */
export function useFleets(): void {
  beforeAll(async () => {
    await assertTestEnvironment()
  })

  afterEach(async () => {
    const running = current
    current = undefined
    if (!running) return
    await running.emulator.close()
    await running.launcher.close()
  })
}

/** SPEC §5's serving: InService, Healthy and tagged ready (warmup is 0 here). */
export function servingInstances(emulator: Emulator): EmulatedInstance[] {
  return emulator.instances({ group: GROUP }).filter((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy' && i.tags['deckhand:state'] === 'ready')
}

export interface FleetOptions {
  /** Runs on each instance after it launched, before its agent starts. */
  readonly beforeAgent?: (emulator: Emulator, instance: EmulatedInstance) => void
  /** Runs once the emulator is up, before the group exists (faults, parameters). */
  readonly beforeGroup?: (emulator: Emulator) => void
  readonly manifest?: string
  /** The launch hook's heartbeat timeout, seconds. Default 600. */
  readonly launchHeartbeatSeconds?: number
  /** Wait until every instance serves. Default true. */
  readonly waitServing?: boolean
  readonly agentEnv?: Readonly<Record<string, string>>
}

/**
 * A group of three with launch and terminate hooks, booted on version 1 until all three serve.
 */
export async function bootFleet(options: FleetOptions = {}): Promise<Fleet> {
  const launcher = new AgentLauncher(options.agentEnv ? { env: options.agentEnv } : {})
  const { beforeAgent } = options
  const emulator: Emulator = await startEmulator({
    launcher: beforeAgent
      ? {
          launch: (instance, env) => {
            beforeAgent(emulator, instance)
            return launcher.launch(instance, env)
          },
          terminate: (id) => launcher.terminate(id),
        }
      : launcher,
  })
  current = { emulator, launcher }
  onTestFailed(() => {
    console.log(`agent logs:\n${launcher.report()}\nlast emulator events:\n${emulator.recentEvents(30).map((e) => `  ${JSON.stringify(e, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`).join('\n')}`)
  })
  const events: EmulatorEvent[] = []
  const serving: number[] = []
  const states = new Map<string, string[]>()
  emulator.on((event) => {
    events.push(event)
    serving.push(servingInstances(emulator).length)
    if (event.type !== 'tags') return
    const state = emulator.tags(event.resourceId)['deckhand:state']
    const seen = states.get(event.resourceId) ?? []
    if (state !== undefined && seen.at(-1) !== state) states.set(event.resourceId, [...seen, state])
  })
  emulator.putParameter(`/deckhand/${SERVICE}/manifest`, options.manifest ?? MANIFEST)
  emulator.putParameter(`/deckhand/${SERVICE}/version`, '1')
  options.beforeGroup?.(emulator)
  await emulator.createGroup({
    name: GROUP,
    desired: DESIRED,
    tags: { 'deckhand:service': SERVICE },
    hooks: [
      { transition: 'launch', heartbeatTimeoutSeconds: options.launchHeartbeatSeconds ?? 600 },
      { transition: 'terminate', heartbeatTimeoutSeconds: 600 },
    ],
  })
  if (options.waitServing === false) return { emulator, launcher, events, serving, states }
  await emulator.waitFor(() => servingInstances(emulator).length === DESIRED, { timeoutMs: BOOT_MS, description: `all ${DESIRED} instances to serve` })
  return { emulator, launcher, events, serving, states }
}

/** The smallest serving count from the first moment the whole group served. */
export function minServingSinceFullyServing(fleet: Fleet): number {
  const first = fleet.serving.indexOf(DESIRED)
  expect(first).toBeGreaterThanOrEqual(0)
  return fleet.serving.slice(first).reduce((min, count) => Math.min(min, count), DESIRED)
}

export function lifecycleActions(fleet: Fleet, filter: { instanceId?: string; hookName?: string; result?: string } = {}) {
  return fleet.events.filter(
    (e): e is Extract<EmulatorEvent, { type: 'lifecycle-action' }> =>
      e.type === 'lifecycle-action' &&
      (filter.instanceId === undefined || e.instanceId === filter.instanceId) &&
      (filter.hookName === undefined || e.hookName === filter.hookName) &&
      (filter.result === undefined || e.result === filter.result),
  )
}

export async function inspectAll(launcher: AgentLauncher, instanceId: string): Promise<Dockerode.ContainerInspectInfo[]> {
  const listed = await launcher.containers(instanceId)
  return Promise.all(listed.map((c) => docker.getContainer(c.Id).inspect()))
}

/** Every container of the instance is running, and healthy where Docker checks its health. */
export async function expectServingContainers(launcher: AgentLauncher, instanceId: string, revision: string): Promise<Dockerode.ContainerInspectInfo[]> {
  const containers = await inspectAll(launcher, instanceId)
  expect(containers.map((c) => c.Config.Labels['deckhand.container']).sort()).toEqual(['app', 'db', 'worker'])
  for (const c of containers) {
    expect(c.State.Running, `${c.Name} running`).toBe(true)
    if (c.State.Health) expect(c.State.Health.Status, `${c.Name} health`).toBe('healthy')
    expect(c.Config.Labels).toMatchObject({ 'deckhand.instance': instanceId, 'deckhand.service': SERVICE, 'deckhand.revision': revision })
  }
  return containers
}

/** Waits until the group is DESIRED serving instances, none of them one of `old`. */
export async function waitForReplacement(fleet: Fleet, old: readonly string[], description: string): Promise<EmulatedInstance[]> {
  return fleet.emulator.waitFor(
    () => {
      const group = fleet.emulator.instances({ group: GROUP })
      const serving = servingInstances(fleet.emulator)
      const replaced = group.length === DESIRED && serving.length === DESIRED && serving.every((i) => !old.includes(i.instanceId))
      return replaced && old.every((id) => fleet.emulator.instance(id)?.state === 'terminated') ? serving : undefined
    },
    { timeoutMs: ROLL_MS, description },
  )
}

