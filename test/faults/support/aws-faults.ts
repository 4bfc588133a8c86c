import { afterAll, beforeAll, expect, it } from 'vitest'
import type { FaultHandle, ServiceName } from '../../support/aws-emulator/index.js'
import { assertTestEnvironment } from '../../support/images.js'
import { census, GROUP, markEvents, reportOnFailure, lostContainers, servingInstances, startFaultGroup, strayContainers, wrongfulTerminations, type FaultGroup } from './fault-group.js'
import { recordTry, tries } from './tally.js'

export interface AwsFault {
  readonly name: string
  readonly service: ServiceName
  inject(group: FaultGroup, instanceId: string): FaultHandle
}

export const SERVICES: readonly ServiceName[] = ['ssm', 'autoscaling', 'ec2', 'imds']

/**
 * One group of one instance serves; each fault in turn is put on its service until the agent has
 * gone through a few drift checks under it and was hit by it, then lifted. Through all of it the
 * instance must stay in service and ready, its containers untouched (same ids, same start times),
 * and nothing terminated.
 */
export function describeAwsFaults(faults: readonly AwsFault[], options: { checksUnderFault: number }): void {
  const checksUnderFault = options.checksUnderFault
  let group: FaultGroup
  let id: string
  let revision: string
  let started: Map<string, string>

  beforeAll(async () => {
    await assertTestEnvironment()
    group = await startFaultGroup({ reportFailures: false })
    id = group.emulator.instances({ group: GROUP })[0]?.instanceId ?? ''
    revision = group.emulator.tags(id)['deckhand:revision'] ?? ''
    started = (await census(group.launcher, id, revision)).startedAt
  }, 180_000)

  afterAll(async () => {
    await group?.close()
  })

  for (let t = 0; t < tries; t++) {
    for (const fault of faults) {
      it(`${fault.name} (try ${t + 1})`, async () => {
        const { emulator, launcher } = group
        reportOnFailure(emulator, launcher)
        const checks = () => emulator.calls.count({ service: 'ssm', action: 'GetParameters', instanceId: id })
        const from = checks()
        const mark = markEvents(group)
        const handle = fault.inject(group, id)
        await emulator.waitFor(() => checks() >= from + checksUnderFault && handle.hits > 0, {
          timeoutMs: 180_000,
          description: `${checksUnderFault} drift checks under ${fault.name}`,
        })
        const hits = handle.hits
        await handle.clear()
        // Lifted: the agent reads SSM again, and answers its own IMDS polls.
        const after = emulator.calls.count({ service: 'ssm', action: 'GetParameters', instanceId: id, outcome: 'ok' })
        await emulator.waitFor(() => emulator.calls.count({ service: 'ssm', action: 'GetParameters', instanceId: id, outcome: 'ok' }) > after, { timeoutMs: 120_000, description: 'a drift check that reads SSM again' })

        const c = await census(launcher, id, revision)
        const untouched = c.startedAt.size === started.size && [...started].every(([cid, at]) => c.startedAt.get(cid) === at)
        const lost = lostContainers(c)
        const stray = strayContainers(c)
        const wrongful = wrongfulTerminations(group, [], mark)
        const serving = servingInstances(emulator).map((i) => i.instanceId)
        const survived = untouched && lost === 0 && stray === 0 && wrongful === 0 && serving.length === 1 && serving[0] === id
        recordTry({ fault: fault.name, survived, lost, wrongfulTerminations: wrongful, note: `${hits} requests faulted` })
        expect({ untouched, lost, stray, wrongful, serving, state: emulator.tags(id)['deckhand:state'] }).toEqual({ untouched: true, lost: 0, stray: 0, wrongful: 0, serving: [id], state: 'ready' })
        expect(launcher.lines(id).filter((l) => l.msg === 'draining' || l.msg === 'stopping container')).toEqual([])
      }, 300_000)
    }
  }
}
