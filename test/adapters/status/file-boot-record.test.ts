import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileBootRecordStore } from '../../../src/adapters/status/file-boot-record.js'
import type { BootRecord } from '../../../src/ports/boot-record.js'

const record: BootRecord = { instanceId: 'i-1', group: 'g', service: 's', manifest: { value: 'containers: {}', version: 3 }, parameterVersions: { '/p': 2 }, readyAt: 1, launchCompleted: true }

describe('FileBootRecordStore', () => {
  let dir = ''
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('writes the record readable by its owner only, and reads it back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-boot-'))
    const store = new FileBootRecordStore(dir)
    expect(await store.read()).toBeUndefined()
    await store.write(record)
    expect(await store.read()).toEqual(record)
    expect(JSON.parse(await readFile(join(dir, 'boot.json'), 'utf8'))).toEqual(record)
  })

  it('a damaged record is a sentence, never "no record" (which would re-read SSM)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-boot-'))
    const store = new FileBootRecordStore(dir)
    await writeFile(join(dir, 'boot.json'), '{"instanceId": "i-1", "gro')
    await expect(store.read()).rejects.toMatchObject({ code: 'STATE_DIR', message: expect.stringMatching(/^The boot record .*boot\.json exists but cannot be read \(not JSON: .*\); this instance cannot know what it booted with/) })
    await writeFile(join(dir, 'boot.json'), '{"hello": 1}')
    await expect(store.read()).rejects.toThrow(/it is not a deckhand boot record/)
  })

  it('a record it cannot write is a sentence naming the file and the fix', async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-boot-'))
    const store = new FileBootRecordStore(join(dir, 'missing', 'deeper'))
    await writeFile(join(dir, 'missing'), 'a file where a directory should be')
    await expect(store.write(record)).rejects.toMatchObject({ code: 'STATE_DIR', message: expect.stringMatching(/^Cannot write the boot record .*; free space on or repair the disk of DECKHAND_STATE_DIR\.$/) })
  })
})

describe('FileBootRecordStore on a failed write', () => {
  it('leaves no temporary file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deckhand-boot-'))
    try {
      // boot.json is a directory: the rename fails after the temporary file was written.
      await mkdir(join(dir, 'boot.json'))
      await expect(new FileBootRecordStore(dir).write(record)).rejects.toMatchObject({ code: 'STATE_DIR' })
      expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
