import { appendFileSync } from 'node:fs'

/** One try of one fault: what it cost. A try survived when nothing was lost, duplicated or wrongly terminated and the fault's own check held. */
export interface FaultTry {
  readonly fault: string
  readonly survived: boolean
  /** Containers not serving again, or volume files gone. */
  readonly lost: number
  readonly wrongfulTerminations: number
  readonly note?: string
}

/** How often `npm run faults` repeats each fault; CI runs each once. */
export const tries = Math.max(1, Number(process.env.DECKHAND_FAULT_TRIES ?? '1'))

/** Appends the try to DECKHAND_FAULTS_REPORT (JSON lines), which `npm run faults` sets; in CI it goes nowhere. */
export function recordTry(result: FaultTry): void {
  const path = process.env.DECKHAND_FAULTS_REPORT
  if (path !== undefined) appendFileSync(path, `${JSON.stringify({ ...result, at: new Date().toISOString() })}\n`)
}
