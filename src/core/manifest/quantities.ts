/**
 * Parsers for the manifest's human quantities: durations ("30s"), memory ("512Mi", "60%")
 * and CPU (1.5, "50%"). Each returns undefined when the text is not of its form, so the
 * schema can say what form it expected.
 */
export type Quantity = { readonly kind: 'absolute'; readonly value: number } | { readonly kind: 'percent'; readonly value: number }

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/
const DURATION_UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  if (!match) return undefined
  const unit = match[2] as keyof typeof DURATION_UNITS
  return Math.round(Number(match[1]) * DURATION_UNITS[unit])
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`
  if (ms % 1_000 === 0) return `${ms / 1_000}s`
  return `${ms}ms`
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T|k|b|B)?$/
const MEMORY_UNITS: Record<string, number> = {
  '': 1, b: 1, B: 1,
  k: 1_000, K: 1_000, M: 1_000_000, G: 1_000_000_000, T: 1_000_000_000_000,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
}

function parsePercent(text: string): Quantity | undefined {
  const match = PERCENT.exec(text.trim())
  return match ? { kind: 'percent', value: Number(match[1]) } : undefined
}

export function parseMemory(input: string | number): Quantity | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input > 0 ? { kind: 'absolute', value: Math.round(input) } : undefined
  const percent = parsePercent(input)
  if (percent) return percent
  const match = MEMORY.exec(input.trim())
  if (!match) return undefined
  const bytes = Math.round(Number(match[1]) * (MEMORY_UNITS[match[2] ?? ''] ?? 1))
  return bytes > 0 ? { kind: 'absolute', value: bytes } : undefined
}

export function parseCpu(input: string | number): Quantity | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input > 0 ? { kind: 'absolute', value: input } : undefined
  const percent = parsePercent(input)
  if (percent) return percent
  const cores = Number(input.trim())
  return input.trim() !== '' && Number.isFinite(cores) && cores > 0 ? { kind: 'absolute', value: cores } : undefined
}
