import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface LogRecord {
  readonly level: string
  readonly msg: string
  readonly [key: string]: unknown
}

/**
 * A real `deckhand` process, its JSON log lines collected as they come: from source through tsx,
 * or from a built entry point (`entry`, e.g. dist/main.js).
 */
export class DeckhandProcess {
  readonly lines: LogRecord[] = []
  readonly stderr: string[] = []
  private readonly child: ChildProcess
  readonly exited: Promise<number | null>

  constructor(args: readonly string[], env: Record<string, string>, options: { entry?: string } = {}) {
    const command = options.entry === undefined ? ['--import', 'tsx', 'src/main.ts'] : [options.entry]
    this.child = spawn(process.execPath, [...command, ...args], {
      cwd: ROOT,
      env: { ...process.env, DECKHAND_LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let buffer = ''
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      const parts = buffer.split('\n')
      buffer = parts.pop() ?? ''
      for (const part of parts) {
        if (part.trim() === '') continue
        try {
          this.lines.push(JSON.parse(part) as LogRecord)
        } catch {
          this.lines.push({ level: 'raw', msg: part })
        }
      }
    })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk))
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)))
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  async waitForLog(what: string, match: (line: LogRecord) => boolean, timeoutMs = 60_000): Promise<LogRecord> {
    return waitFor(`log line: ${what} (stderr: ${this.stderr.join('').slice(-500)})`, () => this.lines.find(match), { timeoutMs })
  }

  indexOf(match: (line: LogRecord) => boolean): number {
    return this.lines.findIndex(match)
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    await this.exited
  }
}
