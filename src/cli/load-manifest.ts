import { readFile } from 'node:fs/promises'
import { DeckhandError } from '../core/errors.js'
import { formatIssues, parseManifest, withRevision, type DesiredState } from '../core/manifest/index.js'

/** Reads and parses a manifest file; every problem becomes one DeckhandError listing each path. */
export async function loadManifestFile(file: string, version: string | undefined): Promise<DesiredState> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DeckhandError('MANIFEST_UNREADABLE', `Cannot read the manifest ${file} (${code === 'ENOENT' ? 'no such file' : code ?? (error as Error).message}); check the path.`)
  }
  const result = parseManifest(text, { version })
  if (!result.ok) {
    const count = result.issues.length
    throw new DeckhandError('MANIFEST_INVALID', `${formatIssues(result.issues)}\n${file} has ${count} error${count === 1 ? '' : 's'}; fix ${count === 1 ? 'it' : 'them'} and run deckhand validate ${file} again.`)
  }
  return withRevision(result.manifest)
}
