import { describe, expect, it } from 'vitest'
import { status } from '../../src/cli/status.js'
import type { StatusReport, StatusStore } from '../../src/ports/status-store.js'

const report = (over: Partial<StatusReport>): StatusReport => ({
  pid: process.pid,
  instanceId: 'local',
  service: 'web',
  revision: 'abc',
  state: 'booting',
  since: 0,
  updatedAt: 0,
  containers: [{ name: 'app', image: 'app:1', phase: 'running', health: 'starting', restarts: 0 }],
  ...over,
})

class MemoryStore implements StatusStore {
  readonly path = '/state/status.json'
  constructor(private readonly report: StatusReport | undefined) {}
  async write(): Promise<void> {}
  async read(): Promise<StatusReport | undefined> {
    return this.report
  }
}

async function json(store: StatusStore & { path: string }, live: () => Promise<StatusReport | undefined>): Promise<StatusReport & { running: boolean }> {
  const lines: string[] = []
  await status(store, { json: true }, (line) => lines.push(line), 0, live)
  return JSON.parse(lines.join('\n')) as StatusReport & { running: boolean }
}

describe('deckhand status', () => {
  it("reads the running agent's endpoint, fresher than its file", async () => {
    const shown = await json(new MemoryStore(report({})), async () => report({ state: 'ready' }))
    expect(shown).toMatchObject({ state: 'ready', running: true })
  })

  it('reads the file when the endpoint answers for another agent, or not at all', async () => {
    expect(await json(new MemoryStore(report({})), async () => report({ pid: process.pid + 1, state: 'ready' }))).toMatchObject({ state: 'booting' })
    expect(await json(new MemoryStore(report({})), async () => undefined)).toMatchObject({ state: 'booting', running: true })
  })

  it('does not ask the endpoint when the agent that wrote the file is gone', async () => {
    let asked = false
    const gone = 2 ** 22 + 1 // above the default pid_max
    const shown = await json(new MemoryStore(report({ pid: gone })), async () => {
      asked = true
      return report({ pid: gone, state: 'ready' })
    })
    expect(asked).toBe(false)
    expect(shown).toMatchObject({ state: 'booting', running: false })
  })
})
