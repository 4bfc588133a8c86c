import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { restartDockerd } from '../support/docker-daemon.js'
import { GROUP, SERVICE, servingCensus, lostContainers, useFaultGroups, strayContainers, waitServing, wrongfulTerminations } from './support/fault-group.js'
import { recordTry, tries } from './support/tally.js'

/**
 * dockerd restarted (no live-restore: every container stops) under a group of two serving
 * instances: each agent reconciles, the same containers come back, nothing is duplicated, the
 * instance volumes keep their data, nothing is terminated. The engine is the shared one, so the
 * whole run holds the docker lock (`npm run faults` takes it).
 */
const startGroup = useFaultGroups()

describe('dockerd restarted under load', () => {
  for (let t = 0; t < tries; t++) {
    it(`two serving instances (try ${t + 1})`, async () => {
      const g = await startGroup({ desired: 2 })
      const { emulator, launcher } = g
      const ids = emulator.instances({ group: GROUP }).map((i) => i.instanceId)
      const keep = (id: string) => join(launcher.agent(id).stateDir, 'volumes', SERVICE, 'data', 'keep')
      for (const id of ids) await writeFile(keep(id), id)
      const before = new Map(await Promise.all(ids.map(async (id) => [id, await servingCensus(g, id, emulator.tags(id)['deckhand:revision'] ?? '')] as const)))

      await restartDockerd()
      for (const id of ids) await launcher.agent(id).process.waitForLog('the engine back', (l) => l.msg === 'Docker engine reachable again; reconciling' || l.msg === 'container restarted', 120_000)
      await waitServing(g, 2)

      let lost = 0
      let stray = 0
      let sameIds = true
      for (const id of ids) {
        const c = await servingCensus(g, id, emulator.tags(id)['deckhand:revision'] ?? '')
        lost += lostContainers(c) + ((await readFile(keep(id), 'utf8').catch(() => '')) === id ? 0 : 1)
        stray += strayContainers(c)
        sameIds &&= [...c.startedAt.keys()].sort().join() === [...(before.get(id)?.startedAt.keys() ?? [])].sort().join()
      }
      const wrongful = wrongfulTerminations(g)
      const serving = emulator.instances({ group: GROUP }).map((i) => i.instanceId).sort()
      const survived = lost === 0 && stray === 0 && wrongful === 0 && serving.join() === [...ids].sort().join()
      recordTry({ fault: 'dockerd restarted under load', survived, lost, wrongfulTerminations: wrongful, note: sameIds ? 'same containers restarted' : 'containers recreated' })
      expect({ lost, stray, wrongful, serving }).toEqual({ lost: 0, stray: 0, wrongful: 0, serving: [...ids].sort() })
    }, 300_000)
  }
})
