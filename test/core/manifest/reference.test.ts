import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { manifestJsonSchema, manifestReference } from '../../../src/core/manifest/reference.js'

describe('the manifest reference', () => {
  it('in docs/ is the one the schema generates (run npm run docs after changing the schema)', async () => {
    expect(await readFile(new URL('../../../docs/manifest.md', import.meta.url), 'utf8')).toBe(manifestReference())
    expect(JSON.parse(await readFile(new URL('../../../docs/manifest.schema.json', import.meta.url), 'utf8'))).toEqual(manifestJsonSchema())
  })

  it('documents every key of the SPEC example', () => {
    const reference = manifestReference()
    for (const key of ['containers.<name>.dependsOn', 'containers.<name>.health.startPeriod', 'volumes.<name>.tmpfs.size', 'rollout.warmup', 'logging.options']) {
      expect(reference).toContain(`\`${key}\``)
    }
  })
})
