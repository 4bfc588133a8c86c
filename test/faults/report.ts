import { readFileSync, rmSync } from 'node:fs'
import type { FaultTry } from './support/tally.js'

/** Sums a run's tries per fault into docs/reliability.md's table. */
export function reliabilityTable(jsonLines: string): string {
  const rows = new Map<string, { tries: number; survived: number; lost: number; wrongful: number }>()
  for (const line of jsonLines.split('\n')) {
    if (line.trim() === '') continue
    const t = JSON.parse(line) as FaultTry
    const row = rows.get(t.fault) ?? { tries: 0, survived: 0, lost: 0, wrongful: 0 }
    row.tries++
    if (t.survived) row.survived++
    row.lost += t.lost
    row.wrongful += t.wrongfulTerminations
    rows.set(t.fault, row)
  }
  return [
    '| fault | tries | survived | lost | wrongful terminations |',
    '| --- | --- | --- | --- | --- |',
    ...[...rows].map(([fault, r]) => `| ${fault} | ${r.tries} | ${r.survived} | ${r.lost} | ${r.wrongful} |`),
  ].join('\n')
}

// vitest globalSetup for `npm run faults`: a fresh report per run, and its table at the end.
export function setup(): () => void {
  const path = process.env.DECKHAND_FAULTS_REPORT
  if (path === undefined) throw new Error('DECKHAND_FAULTS_REPORT is not set; run the fault suite with npm run faults.')
  rmSync(path, { force: true })
  return () => {
    const text = (() => {
      try {
        return readFileSync(path, 'utf8')
      } catch {
        return ''
      }
    })()
    console.log(`\nFault run (${path}):\n${reliabilityTable(text)}\n`)
  }
}
