// Writes docs/manifest.md and docs/manifest.schema.json from the schema (npm run docs).
import { mkdir, writeFile } from 'node:fs/promises'
import { manifestJsonSchema, manifestReference } from '../src/core/manifest/reference.js'

await mkdir(new URL('../docs/', import.meta.url), { recursive: true })
await writeFile(new URL('../docs/manifest.md', import.meta.url), manifestReference())
await writeFile(new URL('../docs/manifest.schema.json', import.meta.url), `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`)
