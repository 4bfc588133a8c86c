import { pino, type Logger as Pino } from 'pino'
import type { LogFields, Logger } from '../../ports/logger.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'json' | 'pretty'

/**
 * JSON lines on stdout for journald; `pretty` for a person at a terminal. Anything under an
 * `env` key is redacted, so a resolved secret cannot reach a log line even by mistake.
 */
export async function createLogger(options: { level?: LogLevel; format?: LogFormat; destination?: NodeJS.WritableStream } = {}): Promise<Logger> {
  const settings = {
    level: options.level ?? 'info',
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: { paths: ['env', '*.env', 'secret', '*.secret', 'value', '*.value'], censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
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

class PinoLogger implements Logger {
  constructor(private readonly pino: Pino) {}
  debug(fields: LogFields, message: string): void { this.pino.debug(fields, message) }
  info(fields: LogFields, message: string): void { this.pino.info(fields, message) }
  warn(fields: LogFields, message: string): void { this.pino.warn(fields, message) }
  error(fields: LogFields, message: string): void { this.pino.error(fields, message) }
  child(fields: LogFields): Logger { return new PinoLogger(this.pino.child(fields)) }
  flush(): void { this.pino.flush() }
}
