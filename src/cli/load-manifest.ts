import { open } from 'node:fs/promises'
import { DeckhandError } from '../core/errors.js'
import { formatIssues, MAX_MANIFEST_BYTES, parseManifest, withRevision, type DesiredState, type HostCapacity } from '../core/manifest/index.js'

export interface LoadOptions {
  /** deckhand's state dir, which no unprivileged container may mount (default /var/lib/deckhand). */
  readonly stateDir?: string
  /** The machine `up` runs on, so that a limit larger than it is named before anything starts. */
  readonly host?: HostCapacity
}

/** Reads and parses a manifest file; every problem becomes one DeckhandError listing each path. */
export async function loadManifestFile(file: string, version: string | undefined, options: LoadOptions = {}): Promise<DesiredState> {
  const text = await readCapped(file)
  const result = parseManifest(text, { version, ...options })
  if (!result.ok) {
    const count = result.issues.length
    throw new DeckhandError('MANIFEST_INVALID', `${formatIssues(result.issues)}\n${file} has ${count} error${count === 1 ? '' : 's'}; fix ${count === 1 ? 'it' : 'them'} and run deckhand validate ${file} again.`)
  }
  return withRevision(result.manifest)
}

/**
 * At most MAX_MANIFEST_BYTES + 1 bytes are read, whatever the file claims to be (a 50 MB file,
 * /dev/zero, a FIFO), so the cap holds before anything is parsed; the parser then names the size.
 */
async function readCapped(file: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(file, 'r')
    const stat = await handle.stat()
    if (stat.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' })
    if (stat.isFile() && stat.size > MAX_MANIFEST_BYTES) {
      throw new DeckhandError('MANIFEST_INVALID', `${file} is ${stat.size.toLocaleString('en-US')} bytes; a manifest may be at most ${MAX_MANIFEST_BYTES.toLocaleString('en-US')} bytes (SSM's advanced-parameter limit), so split the service or shorten it.`)
    }
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > MAX_MANIFEST_BYTES) {
      throw new DeckhandError('MANIFEST_INVALID', `${file} holds more than ${MAX_MANIFEST_BYTES.toLocaleString('en-US')} bytes, the most a manifest may be (SSM's advanced-parameter limit); split the service or shorten it.`)
    }
    return buffer.subarray(0, length).toString('utf8')
  } catch (error) {
    if (error instanceof DeckhandError) throw error
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? (error as Error).message
    throw new DeckhandError('MANIFEST_UNREADABLE', `Cannot read the manifest ${file} (${reason}); check the path.`)
  } finally {
    await handle?.close()
  }
}
