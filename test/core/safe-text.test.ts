import { describe, expect, it } from 'vitest'
import { escapeText, oneLine, scrubSecrets } from '../../src/core/safe-text.js'

describe('safe text', () => {
  it('escapes terminal escapes, line breaks and bidi overrides', () => {
    expect(escapeText('a\u001b[2Jb')).toBe('a\\x1b[2Jb')
    expect(escapeText('x\ny\rz')).toBe('x\\x0ay\\x0dz')
    expect(escapeText('abc\u202Edef')).toBe('abc\\u202edef')
    expect(escapeText('plain: ü, 日本')).toBe('plain: ü, 日本')
  })

  it('blanks secrets, longest first, and leaves short values alone', () => {
    expect(scrubSecrets('token s3cret-long and s3cret', ['s3cret', 's3cret-long', 'ab'])).toBe('token *** and ***')
    expect(scrubSecrets('a tab', ['ab'])).toBe('a tab')
  })

  it('makes one line of at most 255 characters', () => {
    expect(oneLine('line one\n  line two\r\n')).toBe('line one line two')
    const long = oneLine('x'.repeat(300))
    expect(long).toHaveLength(255)
    expect(long.endsWith('…')).toBe(true)
    expect(oneLine('db password hunter22 rejected', { secrets: ['hunter22'] })).toBe('db password *** rejected')
  })
})
