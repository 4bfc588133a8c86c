import { createHash } from 'node:crypto'

/**
 * The revision hashes the rendered manifest as the operator wrote it (not deckhand's
 * defaults, so an agent upgrade does not roll a fleet) and the SSM version numbers of the
 * parameters it references (never their values). Keys are sorted so YAML and JSON of the
 * same content, in any order, give the same revision.
 */
export function computeRevision(rendered: unknown, parameterVersions: Readonly<Record<string, number>>): string {
  const canonical = canonicalJson({ manifest: rendered, parameters: parameterVersions })
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12)
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
