import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BootRecord, BootRecordStore } from '../../ports/boot-record.js'
import { writeJsonAtomically } from './atomic-json.js'

/** boot.json under the state dir; no secret values in it, only parameter versions. */
export class FileBootRecordStore implements BootRecordStore {
  readonly path: string

  constructor(stateDir: string) {
    this.path = join(stateDir, 'boot.json')
  }

  async read(): Promise<BootRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as BootRecord
    } catch {
      return undefined
    }
  }

  async write(record: BootRecord): Promise<void> {
    await writeJsonAtomically(this.path, record, 0o600)
  }
}
