import { execFile } from 'node:child_process'
import type { HostShutdown } from '../../ports/host-shutdown.js'

/**
 * systemd's own answer: `systemctl is-system-running` prints `stopping` once the manager has
 * begun a shutdown or reboot. Anything else, including no systemd at all or no answer within
 * the timeout, is "not shutting down": a plain restart of the agent must leave containers alone.
 */
export class SystemdHostShutdown implements HostShutdown {
  readonly #command: string
  readonly #timeoutMs: number

  constructor(options: { command?: string; timeoutMs?: number } = {}) {
    this.#command = options.command ?? 'systemctl'
    this.#timeoutMs = options.timeoutMs ?? 3_000
  }

  isShuttingDown(signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      // is-system-running exits non-zero for every state but `running`; only its output counts.
      execFile(this.#command, ['is-system-running'], { timeout: this.#timeoutMs, ...(signal ? { signal } : {}) }, (_error, stdout) => {
        resolve(String(stdout).trim() === 'stopping')
      })
    })
  }
}
