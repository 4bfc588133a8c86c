import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { validate } from '../../src/cli/validate.js'
import { isDeckhandError } from '../../src/core/errors.js'
import { parseManifest } from '../../src/core/manifest/index.js'
import { CATEGORIES, type FuzzCase } from './arbitraries.js'
import { hasUnsafeCharacters, unsafeEffects } from './safety.js'

/**
 * Properties over the parser and `deckhand validate` (issue 16, item 7). The seed is fixed so CI
 * is reproducible; FUZZ_SEED and FUZZ_SCALE (a multiplier of the runs) explore further, and
 * FUZZ_REPORT=1 prints the counts that docs/security.md quotes. Timings are printed, never
 * asserted: they belong to a benchmark, not a test.
 */
const SEED = Number(process.env['FUZZ_SEED'] ?? 1616)
const SCALE = Number(process.env['FUZZ_SCALE'] ?? 1)
const RUNS: Readonly<Record<string, number>> = { 'size and time': 15, 'raw text': 800, mutations: 800 }

interface Tally { tried: number; rejected: number; accepted: number; slowestMs: number }
const tallies = new Map<string, Tally>()

function check(c: FuzzCase): void {
  const started = performance.now()
  const result = parseManifest(c.text, c.version === undefined ? {} : { version: c.version })
  const ms = performance.now() - started
  const tally = tallies.get(c.category) ?? { tried: 0, rejected: 0, accepted: 0, slowestMs: 0 }
  tallies.set(c.category, { tried: tally.tried + 1, rejected: tally.rejected + (result.ok ? 0 : 1), accepted: tally.accepted + (result.ok ? 1 : 0), slowestMs: Math.max(tally.slowestMs, ms) })
  if (result.ok) {
    expect(unsafeEffects(result.manifest)).toEqual([])
  } else {
    expect(result.issues.length).toBeGreaterThan(0)
    for (const issue of result.issues) {
      expect(hasUnsafeCharacters(issue.path) || hasUnsafeCharacters(issue.message)).toBe(false)
      expect(issue.message).not.toMatch(/^Invalid input/)
    }
  }
}

describe('the manifest parser under generated and mutated input', () => {
  it.each(CATEGORIES.map(([category, arbitrary]) => [category, arbitrary] as const))('%s: never throws; what it accepts is safe; what it refuses is said safely', (category, arbitrary) => {
    fc.assert(fc.property(arbitrary, check), { seed: SEED, numRuns: Math.round((RUNS[category] ?? 500) * SCALE) })
  })

  it('deckhand validate answers every generated file with a valid line or one DeckhandError whose lines are safe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deckhand-fuzz-'))
    try {
      const file = join(dir, 'manifest.yaml')
      const cases = fc.oneof(...CATEGORIES.filter(([category]) => category !== 'size and time').map(([, arbitrary]) => arbitrary))
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          await writeFile(file, c.text)
          const printed: string[] = []
          try {
            expect(await validate(file, c.version === undefined ? {} : { version: c.version }, (line) => printed.push(line))).toBe(0)
            tallies.set('deckhand validate', bump(tallies.get('deckhand validate'), true))
          } catch (error) {
            expect(isDeckhandError(error) && error.code === 'MANIFEST_INVALID').toBe(true)
            printed.push(...(error as Error).message.split('\n'))
            tallies.set('deckhand validate', bump(tallies.get('deckhand validate'), false))
          }
          for (const line of printed) expect(hasUnsafeCharacters(line)).toBe(false)
        }),
        { seed: SEED, numRuns: Math.round(300 * SCALE) },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

function bump(tally: Tally | undefined, accepted: boolean): Tally {
  const t = tally ?? { tried: 0, rejected: 0, accepted: 0, slowestMs: 0 }
  return { ...t, tried: t.tried + 1, accepted: t.accepted + (accepted ? 1 : 0), rejected: t.rejected + (accepted ? 0 : 1) }
}

afterAll(() => {
  if (process.env['FUZZ_REPORT'] === undefined) return
  const rows = [...tallies].map(([category, t]) => `| ${category} | ${t.tried} | ${t.rejected} | ${t.accepted} | ${t.slowestMs.toFixed(1)} |`)
  const total = [...tallies.values()].reduce((sum, t) => ({ tried: sum.tried + t.tried, rejected: sum.rejected + t.rejected, accepted: sum.accepted + t.accepted }), { tried: 0, rejected: 0, accepted: 0 })
  console.log([`seed ${SEED}, scale ${SCALE}`, '| category | tried | rejected | accepted | slowest parse (ms) |', '| --- | --- | --- | --- | --- |', ...rows, `| total | ${total.tried} | ${total.rejected} | ${total.accepted} | |`].join('\n'))
})
