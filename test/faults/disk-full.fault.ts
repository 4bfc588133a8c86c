import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { GROUP, lifecycleActions, useFaultGroups } from './support/fault-group.js'
import { recordTry, tries } from './support/tally.js'

/**
 * The state dir's disk full while the agent writes boot.json: the state dir is a 1 MiB tmpfs we
 * mount and fill. The boot must fail with a sentence naming the file and the fix (launch ABANDON,
 * deckhand:reason), and leave no boot.json behind that a later agent would trust. Mounting needs
 * root, so this runs in `npm run faults` only.
 */
const run = promisify(execFile)
const startGroup = useFaultGroups()
let mount: string | undefined
const CANNOT_WRITE = /^Cannot write the boot record \/.*\/boot\.json \(ENOSPC: no space left on device.*\); free space on or repair the disk of DECKHAND_STATE_DIR\.$/

afterEach(async () => {
  if (mount !== undefined) {
    await run('umount', ['-l', mount])
    await rm(mount, { recursive: true, force: true })
    mount = undefined
  }
})

async function fullDisk(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'deckhand-full-'))
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir])
  mount = dir
  // Written until ENOSPC: whatever fits stays, and the disk is full.
  await writeFile(join(dir, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOSPC') throw error
  })
  return dir
}

describe('the disk full', () => {
  for (let t = 0; t < tries; t++) {
    it(`while the agent writes boot.json (try ${t + 1})`, async () => {
      const stateDir = await fullDisk()
      const g = await startGroup({ waitServing: false, agentEnv: { DECKHAND_STATE_DIR: stateDir } })
      const { emulator } = g
      const abandoned = await emulator.waitFor(() => lifecycleActions(g, { hookName: 'launch-hook', result: 'ABANDON' })[0], { timeoutMs: 120_000, description: 'the first instance to abandon its launch' })
      const id = abandoned.instanceId
      const reason = emulator.tags(id)['deckhand:reason'] ?? ''
      const files = await readdir(stateDir)
      // A temporary file of the failed write may stay (see docs/reliability.md); no reader opens it.
      const temporary = files.filter((f) => /^boot\.json\.\d+\.tmp$/.test(f))
      const clear = CANNOT_WRITE.test(reason)
      const survived = clear && !files.includes('boot.json') && g.states.get(id)?.at(-1) === 'failed'
      recordTry({ fault: 'disk full while writing boot.json', survived, lost: 0, wrongfulTerminations: 0, note: `${reason}${temporary.length ? ` (left ${temporary.join(', ')})` : ''}` })
      expect(g.states.get(id)?.at(-1)).toBe('failed')
      expect(reason).toMatch(CANNOT_WRITE)
      expect(files).not.toContain('boot.json')
      expect(emulator.instances({ group: GROUP }).length).toBeGreaterThan(0)
    }, 180_000)
  }
})
