import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BootRecord, BootRecordStore } from '../../ports/boot-record.js'

/** boot.json under the state dir; no secret values in it, only parameter versions. */
export class FileBootRecordStore implements BootRecordStore {
  readonly path: string

  constructor(private readonly stateDir: string) {
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
    await mkdir(this.stateDir, { recursive: true })
    const temporary = `${this.path}.${process.pid}.tmp`
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 })
    await rename(temporary, this.path)
  }
}
