import { loadManifestFile } from './load-manifest.js'

/** `deckhand validate FILE [--version V]`: throws MANIFEST_INVALID listing every error and its path. */
export async function validate(file: string, options: { version?: string }, out: (line: string) => void): Promise<number> {
  const desired = await loadManifestFile(file, options.version)
  const count = desired.containers.length
  out(`${file} is valid: ${count} container${count === 1 ? '' : 's'} (${desired.containers.map((c) => c.name).join(' → ')}), revision ${desired.revision}`)
  return 0
}
