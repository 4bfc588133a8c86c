/** Child processes with their stdout read as JSON lines, and what /proc says about a process. */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'

export interface Line {
  readonly msg?: string
  readonly [key: string]: unknown
}

export interface ReceivedLine {
  readonly line: Line
  /** performance.now() in the bench when the line was read. */
  readonly at: number
}

/** Every child still running, so that a failed or interrupted bench can end them all. */
const live = new Set<Child>()

export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop('SIGKILL', 0)))
}

/** A child whose stdout lines are parsed and time-stamped as they arrive. */
export class Child {
  readonly lines: ReceivedLine[] = []
  readonly stderr: string[] = []
  readonly spawnedAt: number
  readonly exited: Promise<number | null>
  private readonly child: ChildProcess
  private readonly waiters = new Set<{ match: (l: Line) => boolean; resolve: (l: ReceivedLine) => void }>()

  constructor(command: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
    this.spawnedAt = performance.now()
    this.child = spawn(command, args, {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    live.add(this)
    let buffer = ''
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.now()
      buffer += chunk
      const parts = buffer.split('\n')
      buffer = parts.pop() ?? ''
      for (const part of parts) {
        if (part.trim() === '') continue
        let line: Line
        try {
          line = JSON.parse(part) as Line
        } catch {
          line = { msg: part, raw: true }
        }
        const received = { line, at }
        this.lines.push(received)
        for (const waiter of [...this.waiters]) {
          if (waiter.match(line)) {
            this.waiters.delete(waiter)
            waiter.resolve(received)
          }
        }
      }
    })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk))
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        live.delete(this)
        resolve(code)
      })
      this.child.on('error', (error) => {
        live.delete(this)
        this.stderr.push(String(error))
        resolve(-1)
      })
    })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolves with the first line (already seen or to come) that matches; rejects on exit or timeout. */
  waitFor(what: string, match: (line: Line) => boolean, timeoutMs = 120_000): Promise<ReceivedLine> {
    const seen = this.lines.find((l) => match(l.line))
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (l: ReceivedLine) => {
          clearTimeout(timer)
          resolve(l)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr.join('').slice(-800)}`))
      }, timeoutMs)
      this.waiters.add(waiter)
      void this.exited.then((code) => {
        if (!this.waiters.has(waiter)) return
        this.waiters.delete(waiter)
        clearTimeout(timer)
        reject(new Error(`process exited (${code}) before ${what}; stderr: ${this.stderr.join('').slice(-800)}; stdout: ${this.lines.slice(-5).map((l) => JSON.stringify(l.line)).join(' ')}`))
      })
    })
  }

  /** Sends signal, then SIGKILL after graceMs if it is still there. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (!this.running) return
    this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), Math.max(0, graceMs))
    await this.exited
    clearTimeout(timer)
  }
}

/** Runs a command to completion and returns its stdout (trimmed); undefined if it cannot run. */
export function capture(command: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', () => resolve(undefined))
    child.on('exit', (code) => resolve(code === 0 ? out.trim() : undefined))
  })
}

/**
 * VmRSS and VmHWM of a process, in bytes, and VmRSS split into RssAnon (heaps, private) and
 * RssFile (mapped files: mostly the node binary's pages, shared with every node process).
 */
export async function memoryOf(pid: number): Promise<{ rss: number; hwm: number; anon: number; file: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') }
}

/** utime + stime of a process (all its threads), in clock ticks. */
export async function cpuTicksOf(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12])
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
