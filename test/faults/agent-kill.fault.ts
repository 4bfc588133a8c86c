import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LogRecord } from '../support/deckhand-process.js'
import { census, servingCensus, docker, GROUP, lifecycleActions, lostContainers, SERVICE, useFaultGroups, strayContainers, type FaultGroup, waitServing, wrongfulTerminations } from './support/fault-group.js'
import { recordTry, tries } from './support/tally.js'

/**
 * The agent SIGKILLed at each phase (boot, respawn, drain) and started again on the same
 * instance, as systemd's Restart=always does: its containers keep serving or come back, none
 * duplicated or left from another revision, the instance volume keeps its data, nothing is
 * terminated that should not be, and a drain still completes its terminate hook.
 */
const startGroup = useFaultGroups()

const bootPoints: { name: string; match: (l: LogRecord) => boolean }[] = [
  { name: 'its first log line', match: () => true },
  { name: 'db started', match: (l) => l.msg === 'container started' && l.container === 'db' },
  { name: 'app started', match: (l) => l.msg === 'container started' && l.container === 'app' },
]

function volumeFile(g: FaultGroup, id: string): string {
  return join(g.launcher.agent(id).stateDir, 'volumes', SERVICE, 'data', 'keep')
}

async function fileKept(path: string, text: string): Promise<boolean> {
  return (await readFile(path, 'utf8').catch(() => '')) === text
}

describe('the agent SIGKILLed and started again on the same instance', () => {
  for (let t = 0; t < tries * bootPoints.length; t++) {
    const point = bootPoints[t % bootPoints.length]!
    it(`during boot, at ${point.name} (try ${Math.floor(t / bootPoints.length) + 1})`, async () => {
      const group = await startGroup({ waitServing: false })
      const { emulator, launcher } = group
      const id = await emulator.waitFor(() => emulator.instances({ group: GROUP })[0]?.instanceId, { description: 'the instance to launch' })
      const first = await emulator.waitFor(() => launcher.agents.get(id)?.process, { description: 'its agent to start' })
      await first.waitForLog(point.name, point.match)
      await launcher.restart(id, 'SIGKILL')
      await waitServing(group, 1)

      const revision = emulator.tags(id)['deckhand:revision'] ?? ''
      const c = await servingCensus(group, id, revision)
      const lost = lostContainers(c)
      const stray = strayContainers(c)
      const wrongful = wrongfulTerminations(group)
      const hooks = lifecycleActions(group, { instanceId: id, hookName: 'launch-hook' })
      const survived = lost === 0 && stray === 0 && wrongful === 0 && hooks.length === 1 && hooks[0]?.result === 'CONTINUE'
      recordTry({ fault: `agent SIGKILLed during boot (${point.name})`, survived, lost, wrongfulTerminations: wrongful, ...(stray ? { note: `${stray} stray containers` } : {}) })
      expect({ lost, stray, wrongful, hooks: hooks.map((h) => h.result) }).toEqual({ lost: 0, stray: 0, wrongful: 0, hooks: ['CONTINUE'] })
    }, 240_000)
  }

  for (let t = 0; t < tries; t++) {
    it(`during a respawn (try ${t + 1})`, async () => {
      const group = await startGroup()
      const { emulator, launcher } = group
      const id = emulator.instances({ group: GROUP })[0]?.instanceId ?? ''
      const revision = emulator.tags(id)['deckhand:revision'] ?? ''
      await writeFile(volumeFile(group, id), 'kept')
      const agent = launcher.agent(id).process
      const app = (await census(launcher, id, revision)).byName.get('app')?.[0] ?? ''
      await docker.getContainer(app).kill()
      await agent.waitForLog('app seen down', (l) => l.msg.startsWith('container down') && l.container === 'app')
      await launcher.restart(id, 'SIGKILL')
      const next = launcher.agent(id).process
      await next.waitForLog('the new agent to serve', (l) => l.msg.startsWith('adopting') || l.msg === 'instance ready', 120_000)
      await waitServing(group, 1)
      const c = await servingCensus(group, id, revision)

      const lost = lostContainers(c) + ((await fileKept(volumeFile(group, id), 'kept')) ? 0 : 1)
      const stray = strayContainers(c)
      const wrongful = wrongfulTerminations(group)
      const survived = lost === 0 && stray === 0 && wrongful === 0
      recordTry({ fault: 'agent SIGKILLed during a respawn', survived, lost, wrongfulTerminations: wrongful, ...(stray ? { note: `${stray} stray containers` } : {}) })
      expect({ lost, stray, wrongful }).toEqual({ lost: 0, stray: 0, wrongful: 0 })
    }, 240_000)
  }

  for (let t = 0; t < tries; t++) {
    it(`during a drain (try ${t + 1})`, async () => {
      const group = await startGroup()
      const { emulator, launcher } = group
      const id = emulator.instances({ group: GROUP })[0]?.instanceId ?? ''
      await writeFile(volumeFile(group, id), 'kept')
      const agent = launcher.agent(id).process
      await emulator.setDesiredCapacity(GROUP, 0)
      await agent.waitForLog('the drain to stop a container', (l) => l.msg === 'stopping container')
      await launcher.restart(id, 'SIGKILL')
      await emulator.waitFor(() => emulator.instance(id)?.state === 'terminated', { timeoutMs: 120_000, description: `${id} to finish its drain and terminate` })

      const hooks = lifecycleActions(group, { instanceId: id, hookName: 'terminate-hook' })
      const lost = (await fileKept(volumeFile(group, id), 'kept')) ? 0 : 1
      const wrongful = wrongfulTerminations(group, [id])
      const byApi = hooks.length === 1 && hooks[0]?.result === 'CONTINUE' && hooks[0].by === 'api'
      const survived = lost === 0 && wrongful === 0 && byApi
      recordTry({ fault: 'agent SIGKILLed during a drain', survived, lost, wrongfulTerminations: wrongful, ...(byApi ? {} : { note: 'terminate hook not completed by the agent' }) })
      expect({ lost, wrongful, hooks: hooks.map((h) => `${h.result} by ${h.by}`) }).toEqual({ lost: 0, wrongful: 0, hooks: ['CONTINUE by api'] })
    }, 240_000)
  }
})

