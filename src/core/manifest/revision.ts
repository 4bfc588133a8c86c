import { createHash } from 'node:crypto'

/**
 * The revision hashes the rendered manifest as the operator wrote it (not deckhand's
 * defaults, so an agent upgrade does not roll a fleet) and the SSM version numbers of the
 * parameters it references (never their values). Keys are sorted so YAML and JSON of the
 * same content, in any order, give the same revision. The `rollout` section is left out
 * (SPEC §3): it says how to roll, not what runs, so tuning `maxUnavailable` or `bootDeadline`
 * must not itself roll the fleet.
 */
export function computeRevision(rendered: unknown, parameterVersions: Readonly<Record<string, number>>): string {
  const covered = rendered !== null && typeof rendered === 'object' && !Array.isArray(rendered) ? withoutRollout(rendered) : rendered
  const canonical = canonicalJson({ manifest: covered, parameters: parameterVersions })
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

function withoutRollout(manifest: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(manifest).filter(([key]) => key !== 'rollout'))
}
