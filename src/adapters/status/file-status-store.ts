import { constants } from 'node:fs'
import { access, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DeckhandError } from '../../core/errors.js'
import type { StatusReport, StatusStore } from '../../ports/status-store.js'
import { writeJsonAtomically } from './atomic-json.js'

/** status.json under the state dir, replaced atomically so `deckhand status` never reads half a file. */
export class FileStatusStore implements StatusStore {
  readonly path: string

  constructor(stateDir: string) {
    this.path = join(stateDir, 'status.json')
  }

  async write(report: StatusReport): Promise<void> {
    await writeJsonAtomically(this.path, report)
  }

  async read(): Promise<StatusReport | undefined> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new DeckhandError('STATE_DIR', `Cannot read ${this.path} (${(error as Error).message}); check DECKHAND_STATE_DIR and its permissions.`)
    }
    try {
      return JSON.parse(text) as StatusReport
    } catch (error) {
      throw new DeckhandError('STATE_DIR', `${this.path} is not the JSON deckhand writes (${(error as Error).message}); the agent replaces it at its next change of state, or restart the agent.`)
    }
  }
}

/** Fails early, with the fix, when the state dir cannot be written (e.g. /var/lib as a normal user). */
export async function ensureStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true })
    await access(stateDir, constants.W_OK)
  } catch (error) {
    throw new DeckhandError('STATE_DIR', `Cannot write to the state directory ${stateDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); run as root or set DECKHAND_STATE_DIR to a directory you own.`)
  }
}
