import { DeckhandError } from '../core/errors.js'
import { parseManifest } from '../core/manifest/index.js'
import { pause } from '../core/persist.js'
import { leaveGate } from '../core/rollout/gate.js'
import type { BootRecordStore } from '../ports/boot-record.js'
import type { Scheduler, Clock } from '../ports/clock.js'
import type { Fleet } from '../ports/fleet.js'
import type { StatusStore } from '../ports/status-store.js'

export interface DrainOptions {
  readonly now?: boolean
}

export interface DrainEnvironment {
  readonly bootRecord: BootRecordStore
  readonly status: StatusStore
  /** Whether a process id is a live process (the agent that wrote the status). */
  alive(pid: number): boolean
  /** AWS, once the instance is known to have a running agent. */
  fleet(): Promise<Fleet>
  readonly clock: Clock & Scheduler
  readonly out: (line: string) => void
  /** How often to look again while the gate says wait. Default 15 s. */
  readonly pollMs?: number
}

/**
 * `deckhand drain [--now]`: takes this instance out of service on purpose (SPEC §8). It waits
 * until the group can spare it (printing why it waits), unless `--now`, then asks the group to
 * terminate it without lowering the desired capacity. The running agent sees the termination
 * within seconds and drains: the load balancer's delay, the containers, the terminate hook. The
 * group launches the replacement.
 */
export async function drain(options: DrainOptions, env: DrainEnvironment): Promise<number> {
  const record = await env.bootRecord.read()
  if (!record) throw new DeckhandError('NOT_RUNNING', 'No agent has booted this instance (no boot.json in DECKHAND_STATE_DIR), so there is nothing to drain; run deckhand drain on an instance whose agent runs.')
  const report = await env.status.read().catch(() => undefined)
  if (!report || report.instanceId !== record.instanceId || !env.alive(report.pid)) {
    throw new DeckhandError('NOT_RUNNING', `The deckhand agent of ${record.instanceId} is not running, and only it can drain the instance; start it (systemctl start deckhand) and run deckhand drain again.`)
  }
  const fleet = await env.fleet()
  if (options.now !== true) {
    const parsed = parseManifest(record.manifest.value, { version: record.release?.value })
    const policy = parsed.ok ? parsed.manifest.rollout : { maxUnavailable: 1, warmupMs: 0 }
    let said = ''
    for (;;) {
      const view = await fleet.view(record.group)
      const result = leaveGate(view, record.instanceId, policy, env.clock.now())
      if (result.decision === 'leave') {
        env.out(`${record.instanceId} may leave: ${result.reason}.`)
        break
      }
      if (result.reason !== said) env.out(`waiting: ${result.reason} (Ctrl-C stops waiting; --now does not wait).`)
      said = result.reason
      await pause(env.clock, env.pollMs ?? 15_000)
    }
  }
  await fleet.terminate(record.instanceId)
  env.out(`Asked group ${record.group} to replace ${record.instanceId}; its agent drains it now (deckhand status shows draining), and the group launches a replacement.`)
  return 0
}
