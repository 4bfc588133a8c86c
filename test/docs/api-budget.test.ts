import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { budgetTable } from '../../scripts/api-budget.js'

describe('docs/api-budget.md', () => {
  it('holds the table the code constants give', async () => {
    const doc = await readFile(new URL('../../docs/api-budget.md', import.meta.url), 'utf8')
    expect(doc).toContain(budgetTable())
  })

  it('keeps every fleet within each API budget, worst case', () => {
    for (const row of budgetTable().split('\n').filter((line) => /^\| \d/.test(line))) {
      const worst = row.split('|').slice(5, 8).map((cell) => Number(cell.trim().split(' ')[0]))
      expect(worst[0]).toBeLessThanOrEqual(20)
      expect(worst[1]).toBeLessThanOrEqual(10)
      expect(worst[2]).toBeLessThanOrEqual(10)
    }
  })
})
