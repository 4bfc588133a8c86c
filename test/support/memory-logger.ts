import type { LogFields, Logger } from '../../src/ports/logger.js'

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly fields: LogFields
}

/** The test double for logging: keeps every line, with the fields of its parents. */
export class MemoryLogger implements Logger {
  readonly lines: LogLine[]
  private readonly bound: LogFields

  constructor(lines: LogLine[] = [], bound: LogFields = {}) {
    this.lines = lines
    this.bound = bound
  }

  debug(fields: LogFields, message: string): void { this.push('debug', fields, message) }
  info(fields: LogFields, message: string): void { this.push('info', fields, message) }
  warn(fields: LogFields, message: string): void { this.push('warn', fields, message) }
  error(fields: LogFields, message: string): void { this.push('error', fields, message) }

  child(fields: LogFields): Logger {
    return new MemoryLogger(this.lines, { ...this.bound, ...fields })
  }

  messages(level?: LogLine['level']): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message)
  }

  private push(level: LogLine['level'], fields: LogFields, message: string): void {
    this.lines.push({ level, message, fields: { ...this.bound, ...fields } })
  }
}
