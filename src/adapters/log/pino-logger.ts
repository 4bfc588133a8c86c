import { pino, type Logger as Pino } from 'pino'
import { escapeText } from '../../core/safe-text.js'
import type { LogFields, Logger } from '../../ports/logger.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'json' | 'pretty'

/**
 * JSON lines on stdout for journald; `pretty` for a person at a terminal. Every field and
 * message goes through `safeFields` first: a key that names a secret (below) is redacted at any
 * depth, so a resolved secret cannot reach a log line even by mistake, and every string has its
 * control and bidi characters escaped (JSON escapes C0 controls but not U+202E or U+2028, and
 * the pretty format escapes nothing), so text from a manifest, Docker or AWS cannot forge a line.
 */
export async function createLogger(options: { level?: LogLevel; format?: LogFormat; destination?: NodeJS.WritableStream } = {}): Promise<Logger> {
  const settings = {
    level: options.level ?? 'info',
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { level: (label: string) => ({ level: label }) },
    // safeFields has already made every Error a plain, scrubbed object; pino's own err
    // serializer would rename its type "Object" and, given an Error, print its causes.
    serializers: { err: (value: unknown) => value },
  }
  if (options.format === 'pretty') {
    // module.exports (pino-pretty's build function) is the default export under Node's ESM loader
    // and the only export of dist/'s esbuild chunk for it, which has no named ones.
    const { default: build } = (await import('pino-pretty')) as unknown as { default: typeof import('pino-pretty') }
    return new PinoLogger(pino(settings, build({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', messageKey: 'msg', destination: 1 })))
  }
  return new PinoLogger(pino(settings, (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: false })))
}

export function parseLogLevel(text: string | undefined): LogLevel {
  return text === 'debug' || text === 'warn' || text === 'error' ? text : 'info'
}

/** Keys whose values are secrets wherever they appear, compared without case. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'env', 'secret', 'secrets', 'value', 'password', 'token', 'authorization', 'auth', 'credentials',
  'registryauth', 'x-registry-auth', 'identitytoken', 'secretaccesskey', 'sessiontoken',
])
const REDACTED = '[redacted]'
const MAX_DEPTH = 8

/**
 * A copy of `value` fit for a log line. An Error becomes its type, code, message and (for an
 * unexpected one) its stack, never its `cause`: a cause is the raw engine or SDK error, whose
 * text may echo what deckhand sent (an env entry, a command); the DeckhandError's own message
 * is the scrubbed one.
 */
export function safeFields(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return escapeText(value)
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return '[circular]'
  if (depth >= MAX_DEPTH) return '[too deep]'
  if (value instanceof Error) {
    const { code, retryable } = value as { code?: unknown; retryable?: unknown }
    const expected = value.name === 'DeckhandError'
    return safeFields({ type: value.name, ...(code === undefined ? {} : { code }), ...(retryable === undefined ? {} : { retryable }), message: value.message, ...(expected ? {} : { stack: value.stack }) }, depth, seen)
  }
  // `seen` holds the ancestors only: a value met twice side by side is logged twice, a cycle once.
  seen.add(value)
  let out: unknown
  if (Array.isArray(value)) {
    out = value.map((item) => safeFields(item, depth + 1, seen))
  } else {
    const fields: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) fields[escapeText(key)] = REDACTED_KEYS.has(key.toLowerCase()) ? REDACTED : safeFields(child, depth + 1, seen)
    out = fields
  }
  seen.delete(value)
  return out
}

class PinoLogger implements Logger {
  constructor(private readonly pino: Pino) {}
  debug(fields: LogFields, message: string): void { this.pino.debug(safeFields(fields) as object, escapeText(message)) }
  info(fields: LogFields, message: string): void { this.pino.info(safeFields(fields) as object, escapeText(message)) }
  warn(fields: LogFields, message: string): void { this.pino.warn(safeFields(fields) as object, escapeText(message)) }
  error(fields: LogFields, message: string): void { this.pino.error(safeFields(fields) as object, escapeText(message)) }
  child(fields: LogFields): Logger { return new PinoLogger(this.pino.child(safeFields(fields) as object)) }
  flush(): void { this.pino.flush() }
}
