/** Order statistics and number formatting shared by every section. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b)
}

export function median(values: readonly number[]): number {
  const s = sorted(values)
  if (s.length === 0) return Number.NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/**
 * Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it.
 * With 5 samples p95 is the maximum; with 20 it is the 19th.
 */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values)
  if (s.length === 0) return Number.NaN
  const rank = Math.max(1, Math.ceil((p / 100) * s.length))
  return s[Math.min(rank, s.length) - 1] as number
}

export interface Summary {
  readonly n: number
  readonly p50: number
  readonly p95: number
  readonly min: number
  readonly max: number
}

export function summarize(values: readonly number[]): Summary {
  const s = sorted(values)
  return { n: s.length, p50: median(s), p95: percentile(s, 95), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN }
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a'
}

export function pct(ratio: number, digits = 0): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(digits)}%` : 'n/a'
}

export function signedPct(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a'
  const value = ratio * 100
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`
}

export function verdict(pass: boolean | undefined): string {
  return pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS'
}
