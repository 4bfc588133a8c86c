import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DeckhandError } from '../../core/errors.js'
import type { BootRecord, BootRecordStore } from '../../ports/boot-record.js'
import { writeJsonAtomically } from './atomic-json.js'

/**
 * boot.json under the state dir: what this instance booted with (no secret values, only
 * parameter versions). It is sacred: a restarted agent runs what it says and never re-reads SSM
 * in its place, so a record that exists but cannot be read, or cannot be made durable, is an
 * error with a sentence, never "no record".
 */
export class FileBootRecordStore implements BootRecordStore {
  readonly path: string

  constructor(stateDir: string) {
    this.path = join(stateDir, 'boot.json')
  }

  async read(): Promise<BootRecord | undefined> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw this.#unreadable(error instanceof Error ? error.message : String(error))
    }
    let record: unknown
    try {
      record = JSON.parse(text)
    } catch (error) {
      throw this.#unreadable(`not JSON: ${error instanceof Error ? error.message : String(error)}`)
    }
    if (!isBootRecord(record)) throw this.#unreadable('it is not a deckhand boot record')
    return record
  }

  async write(record: BootRecord): Promise<void> {
    try {
      await writeJsonAtomically(this.path, record, 0o600, { durable: true })
    } catch (error) {
      throw new DeckhandError(
        'STATE_DIR',
        `Cannot write the boot record ${this.path} (${error instanceof Error ? error.message : String(error)}); free space on or repair the disk of DECKHAND_STATE_DIR.`,
        { cause: error },
      )
    }
  }

  #unreadable(why: string): DeckhandError {
    return new DeckhandError(
      'STATE_DIR',
      `The boot record ${this.path} exists but cannot be read (${why}); this instance cannot know what it booted with, so replace it (terminate it through its group) rather than deleting the file.`,
    )
  }
}

function isBootRecord(value: unknown): value is BootRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Record<string, unknown>
  const versioned = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).value === 'string' && typeof (v as Record<string, unknown>).version === 'number'
  return (
    typeof r.instanceId === 'string' &&
    typeof r.group === 'string' &&
    typeof r.service === 'string' &&
    versioned(r.manifest) &&
    (r.release === undefined || versioned(r.release)) &&
    typeof r.parameterVersions === 'object' &&
    r.parameterVersions !== null &&
    (r.readyAt === undefined || typeof r.readyAt === 'number')
  )
}
