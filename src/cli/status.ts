import type { StatusReport, StatusStore } from '../ports/status-store.js'
import { DeckhandError } from '../core/errors.js'

/**
 * `deckhand status [--json]`: the running agent's status from its endpoint (DECKHAND_METRICS_ADDR),
 * else what the last agent wrote to the status file, checked against its pid. The endpoint is
 * asked only when the file names an agent that is alive, and used only when it answers with
 * that agent's pid: another agent on the same engine (tests, local fleets) may hold the address.
 */
export async function status(
  store: StatusStore & { path: string },
  options: { json?: boolean },
  out: (line: string) => void,
  now = Date.now(),
  live: () => Promise<StatusReport | undefined> = async () => undefined,
): Promise<number> {
  const written = await store.read()
  const alive = written !== undefined && isAlive(written.pid)
  const served = alive ? await live() : undefined
  const report = served !== undefined && served.pid === written?.pid ? served : written
  if (!report) {
    throw new DeckhandError(
      'NOT_RUNNING',
      `No deckhand agent has written its status here yet (no ${store.path}); an agent still booting writes it when its containers start, otherwise start one (deckhand up -f FILE, or systemctl start deckhand) or set DECKHAND_STATE_DIR to the agent's state directory.`,
    )
  }
  if (options.json) {
    out(JSON.stringify({ ...report, running: alive }, null, 2))
    return alive ? 0 : 3
  }
  for (const line of render(report, alive, now)) out(line)
  return alive ? 0 : 3
}

export function render(report: StatusReport, alive: boolean, now: number): string[] {
  const lines = [
    `service   ${report.service}`,
    `instance  ${report.instanceId}`,
    `revision  ${report.revision}`,
    `state     ${alive ? report.state : `not running (last state ${report.state}, ${ago(now - report.updatedAt)} ago, pid ${report.pid})`}${report.detail ? `: ${report.detail}` : ''}`,
    '',
  ]
  const rows = [['CONTAINER', 'HEALTH', 'RESTARTS', 'UP', 'IMAGE'], ...report.containers.map((c) => [c.name, c.health, String(c.restarts), c.startedAt ? ago(now - c.startedAt) : '-', c.image])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const row of rows) lines.push(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
  return lines
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86_400)}d`
}

/** Whether a process id is a live process (EPERM: alive, someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
