import { describe, expect, it } from 'vitest'
import { parseManifest } from '../../src/core/manifest/index.js'
import { CORPUS } from './corpus.js'

// Raw control and bidi characters: none may reach an operator's terminal from a message.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

describe('the hostile inputs of issue 16, each a regression test', () => {
  it.each(CORPUS.map((c) => [`${c.category}: ${c.name}`, c] as const))('%s is rejected with its path, safely', (_, c) => {
    const result = parseManifest(c.text, c.version === undefined ? {} : { version: c.version })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.issues.map((i) => i.path)).toContainEqual(expect.stringMatching(c.rejectedAt))
    for (const issue of result.issues) {
      expect(issue.path).not.toMatch(UNSAFE)
      expect(issue.message).not.toMatch(UNSAFE)
    }
  })

  it('says "expected X, got Y" for a key present with the wrong type, never "is required"', () => {
    const result = parseManifest('containers:\n  app:\n    image: 5\n    stopTimeout: 30\n')
    expect(result.ok ? [] : result.issues).toEqual([
      { path: 'containers.app.image', message: expect.stringMatching(/^expected a string, got the number 5/) },
      { path: 'containers.app.stopTimeout', message: expect.stringMatching(/^expected a duration .*, got the number 30/) },
    ])
  })

  it('refuses 50 MB and 100,000 env keys by their size, before parsing them', () => {
    const huge = parseManifest(`containers: { app: { image: a:1 } }\n#${'x'.repeat(50_000_000)}`)
    expect(huge.ok ? [] : huge.issues).toEqual([{ path: '(manifest)', message: expect.stringMatching(/is 50,000,0\d\d bytes; a manifest may be at most 65,536 bytes/) }])
    const keys = Array.from({ length: 100_000 }, (_, i) => `      K${i}: "v"`).join('\n')
    const wide = parseManifest(`containers:\n  app:\n    image: a:1\n    env:\n${keys}\n`)
    expect(wide.ok ? [] : wide.issues.map((i) => i.path)).toEqual(['(manifest)'])
  })
})
