import { spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync } from 'node:fs'
import Dockerode from 'dockerode'
import { waitFor } from './wait.js'

/**
 * Stops dockerd and starts it again, as a host's `systemctl restart docker` would. Containers
 * stop with it (no live-restore), which is what the supervisor must recover from.
 */
export async function restartDockerd(): Promise<void> {
  const pidFile = '/var/run/docker.pid'
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  process.kill(pid, 'SIGTERM')
  await waitFor('dockerd to exit', () => !isAlive(pid), { timeoutMs: 60_000, everyMs: 100 })
  const log = openSync('/var/log/deckhand-test-dockerd.log', 'a')
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] })
  child.unref()
  const docker = new Dockerode()
  await waitFor('dockerd to answer', async () => existsSync('/var/run/docker.sock') && (await docker.ping().then(() => true, () => false)), { timeoutMs: 60_000, everyMs: 100 })
}

/** A zombie counts as gone: this machine's init reaps late, and dockerd's pid lingers as one. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
