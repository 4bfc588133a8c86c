import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes JSON through a temporary file and a rename, so a reader never sees half a file. With
 * `durable`, the file is synced before the rename and the directory after it, so the new content
 * survives a power loss once this resolves (a status file need not; the boot record must).
 */
export async function writeJsonAtomically(path: string, value: unknown, mode = 0o644, options: { durable?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  const text = `${JSON.stringify(value, null, 2)}\n`
  try {
    if (options.durable === true) {
      const file = await open(temporary, 'w', mode)
      try {
        await file.writeFile(text)
        await file.sync()
      } finally {
        await file.close()
      }
    } else {
      await writeFile(temporary, text, { mode })
    }
    await rename(temporary, path)
  } catch (error) {
    // A full disk must not collect a half-written file at every failed start.
    await rm(temporary, { force: true }).catch(() => undefined)
    throw error
  }
  if (options.durable === true) {
    const directory = await open(dirname(path), 'r')
    try {
      await directory.sync()
    } finally {
      await directory.close()
    }
  }
}
