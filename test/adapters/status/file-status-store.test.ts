import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileStatusStore } from '../../../src/adapters/status/file-status-store.js'
import { status } from '../../../src/cli/status.js'
import { isDeckhandError } from '../../../src/core/errors.js'

describe('FileStatusStore and deckhand status', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-status-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('says, with the fix, when no agent has written a status yet', async () => {
    const store = new FileStatusStore(dir)
    const error = await status(store, {}, () => undefined).catch((e: unknown) => e)
    expect(isDeckhandError(error, 'NOT_RUNNING')).toBe(true)
    expect((error as Error).message).toBe(
      `No deckhand agent has written its status here yet (no ${join(dir, 'status.json')}); an agent still booting writes it when its containers start, otherwise start one (deckhand up -f FILE, or systemctl start deckhand) or set DECKHAND_STATE_DIR to the agent's state directory.`,
    )
  })

  it('names a damaged status file in one sentence instead of failing on the JSON', async () => {
    await writeFile(join(dir, 'status.json'), '{"pid": 12')
    const error = await new FileStatusStore(dir).read().catch((e: unknown) => e)
    expect(isDeckhandError(error, 'STATE_DIR')).toBe(true)
    expect((error as Error).message).toMatch(new RegExp(`^${join(dir, 'status.json')} is not the JSON deckhand writes \\(.+\\); the agent replaces it at its next change of state, or restart the agent\\.$`))
  })

  it('reads back what it wrote', async () => {
    const store = new FileStatusStore(dir)
    const report = { pid: process.pid, instanceId: 'local', service: 'web', revision: 'abc', state: 'ready' as const, since: 1, updatedAt: 2, containers: [] }
    await store.write(report)
    expect(await store.read()).toEqual(report)
    const lines: string[] = []
    expect(await status(store, {}, (line) => lines.push(line), 3)).toBe(0)
    expect(lines.slice(0, 4)).toEqual(['service   web', 'instance  local', 'revision  abc', 'state     ready'])
  })
})
