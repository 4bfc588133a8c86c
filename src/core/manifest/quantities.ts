/**
 * Parsers for the manifest's human quantities: durations ("30s"), memory ("512Mi", "60%")
 * and CPU (1.5, "50%"). Each returns undefined when the text is not of its form, so the
 * schema can say what form it expected.
 */
export type Quantity = { readonly kind: 'absolute'; readonly value: number } | { readonly kind: 'percent'; readonly value: number }

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/
const DURATION_UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const

/** Whole milliseconds; Infinity for a number too long to hold, which every bound then refuses. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  if (!match) return undefined
  const unit = match[2] as keyof typeof DURATION_UNITS
  return Math.round(Number(match[1]) * DURATION_UNITS[unit])
}

/** Memory and sizes as whole bytes (the engine takes integers), at least Docker's 6 MiB floor for memory. */
export const MiB = 1024 ** 2
export const MIN_MEMORY_BYTES = 6 * MiB
export const MIN_TMPFS_BYTES = MiB
/** Far above any EC2 instance (24 TiB at most); the host's own memory bounds it further when known. */
export const MAX_BYTES = 64 * 1024 ** 4
export const MIN_CPUS = 0.01
export const MAX_CPUS = 4096

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

/**
 * Whole bytes or a percent, or undefined when `input` is not of that form. The value may be 0 or
 * Infinity (a 400-digit number): callers check their bounds, so that the message can name them.
 */
export function parseMemory(input: string | number): Quantity | undefined {
  if (typeof input === 'number') return Number.isNaN(input) || input < 0 ? undefined : { kind: 'absolute', value: Math.round(input) }
  const percent = parsePercent(input)
  if (percent) return percent
  const match = MEMORY.exec(input.trim())
  if (!match) return undefined
  return { kind: 'absolute', value: Math.round(Number(match[1]) * (MEMORY_UNITS[match[2] ?? ''] ?? 1)) }
}

export function parseCpu(input: string | number): Quantity | undefined {
  if (typeof input === 'number') return Number.isNaN(input) || input < 0 ? undefined : { kind: 'absolute', value: input }
  const percent = parsePercent(input)
  if (percent) return percent
  const cores = Number(input.trim())
  return input.trim() !== '' && !Number.isNaN(cores) && cores >= 0 ? { kind: 'absolute', value: cores } : undefined
}

/** Bytes as a person reads them: 6Mi, 64Ti, 1536. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`
  }
  return String(bytes)
}
