import { z } from 'zod'
import { manifestSchema } from './schema.js'

/**
 * The manifest reference, generated from the schema itself so the two cannot disagree:
 * docs/manifest.md (a table per section) and docs/manifest.schema.json (for editors).
 * `npm run docs` writes both; a test fails when they are stale.
 */
type JsonSchema = {
  type?: string | string[]
  description?: string
  default?: unknown
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, JsonSchema>
  additionalProperties?: JsonSchema | boolean
  items?: JsonSchema
  anyOf?: JsonSchema[]
  required?: string[]
  pattern?: string
  minimum?: number
  maximum?: number
}

export function manifestJsonSchema(): JsonSchema {
  return z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
}

export function manifestReference(): string {
  const rows: string[][] = []
  walk(manifestJsonSchema(), '', rows, true)
  const lines = [
    '# Manifest reference',
    '',
    '<!-- Generated from src/core/manifest/schema.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Durations are written `500ms`, `30s`, `10m` or `1h`. Memory is bytes (`536870912`), `512Mi`, `2Gi`, or a share',
    'of the instance (`60%`); CPU is cores (`1.5`) or a share (`50%`). Shares are of what is left after the system',
    'reserve (10% of memory, at least 256 MiB and at most 2 GiB; 5% of the CPUs, at least 0.1). `${version}` in any',
    'string is replaced by the release version. Unknown keys are errors.',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
  ]
  return lines.join('\n')
}

function walk(schema: JsonSchema, path: string, rows: string[][], root = false): void {
  if (!root) rows.push([`\`${path}\``, typeOf(schema), schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``, schema.description ?? ''])
  const objects = [schema, ...(schema.anyOf ?? [])].filter((s) => s.properties || (typeof s.additionalProperties === 'object'))
  for (const object of objects) {
    for (const [key, child] of Object.entries(object.properties ?? {})) walk(child, path === '' ? key : `${path}.${key}`, rows)
    if (typeof object.additionalProperties === 'object' && (object.additionalProperties.properties || object.additionalProperties.anyOf)) {
      walk(object.additionalProperties, `${path}.<name>`, rows)
    }
  }
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(', ')
  if (schema.const !== undefined) return `\`${String(schema.const)}\``
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeOf))].join(' or ')
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'any'}`
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object' && !schema.properties) return `map of ${typeOf(schema.additionalProperties)}`
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any')
}
