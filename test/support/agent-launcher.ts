import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import type { EmulatedInstance, Launcher } from './aws-emulator/index.js'
import { DeckhandProcess, type LogRecord } from './deckhand-process.js'

export interface AgentLauncherOptions {
  readonly docker?: Dockerode
  /** DECKHAND_DRIFT_INTERVAL of every agent; default 1s. */
  readonly driftInterval?: string
  /** DECKHAND_TERMINATION_POLL of every agent; default 1s. */
  readonly terminationPoll?: string
  /** More environment for every agent. */
  readonly env?: Readonly<Record<string, string>>
}

/** One emulated instance: its `deckhand agent` process and its state directory (its "disk"). */
export interface LaunchedAgent {
  readonly instanceId: string
  readonly launchedAt: number
  readonly process: DeckhandProcess
  readonly stateDir: string
  /** The environment it was started with, for a restart. */
  readonly env: Readonly<Record<string, string>>
  /** Agents that ran on this instance before this one (restarts), oldest first. */
  readonly previous: readonly DeckhandProcess[]
  /** Set once the VM died: the agent was killed (if still running) and its containers removed. */
  terminatedAt?: number
}

const INSTANCE_LABEL = 'deckhand.instance'

/**
 * The emulator's Launcher for end-to-end tests of `deckhand agent`: one emulated instance is
 * one real agent process (`node --import tsx src/main.ts agent`) on the shared Docker engine,
 * configured by the emulator's environment for that instance alone, with its own state dir.
 * `terminate` is the death of the VM: SIGKILL for the agent if it is still running, and every
 * container labelled with the instance removed. Agents tell their containers apart by that
 * label (SPEC §6), so several share one engine.
 */
export class AgentLauncher implements Launcher {
  readonly agents = new Map<string, LaunchedAgent>()
  readonly #docker: Dockerode
  readonly #options: AgentLauncherOptions
  readonly #root: Promise<string>
  readonly #terminations = new Map<string, Promise<void>>()
  #closed = false

  constructor(options: AgentLauncherOptions = {}) {
    this.#options = options
    this.#docker = options.docker ?? new Dockerode()
    this.#root = mkdtemp(join(tmpdir(), 'deckhand-agents-'))
  }

  async launch(instance: EmulatedInstance, env: Readonly<Record<string, string>>): Promise<void> {
    if (this.#closed) throw new Error(`the agent launcher is closed; not starting ${instance.instanceId}`)
    const stateDir = await mkdtemp(join(await this.#root, `${instance.instanceId}-`))
    const agentEnv = {
      ...env,
      DECKHAND_STATE_DIR: stateDir,
      DECKHAND_DRIFT_INTERVAL: this.#options.driftInterval ?? '1s',
      DECKHAND_TERMINATION_POLL: this.#options.terminationPoll ?? '1s',
      DECKHAND_LOG_LEVEL: 'debug',
      ...this.#options.env,
    }
    const agent = new DeckhandProcess(['agent'], agentEnv)
    this.agents.set(instance.instanceId, { instanceId: instance.instanceId, launchedAt: Date.now(), process: agent, stateDir, env: agentEnv, previous: [] })
  }

  /**
   * `systemctl restart deckhand` on a host that stays up: the agent gets SIGTERM, exits, and a
   * new one starts on the same instance with the same state dir. Resolves with the old agent's
   * exit code once the new one runs.
   */
  async restart(instanceId: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const agent = this.agent(instanceId)
    if (this.#closed || agent.terminatedAt !== undefined) throw new Error(`${instanceId} is gone; not restarting its agent`)
    agent.process.signal(signal)
    const code = await agent.process.exited
    const next = new DeckhandProcess(['agent'], { ...agent.env })
    this.agents.set(instanceId, { ...agent, process: next, previous: [...agent.previous, agent.process] })
    return code
  }

  terminate(instanceId: string): Promise<void> {
    let done = this.#terminations.get(instanceId)
    if (done === undefined) {
      done = this.#kill(instanceId)
      this.#terminations.set(instanceId, done)
    }
    return done
  }

  async #kill(instanceId: string): Promise<void> {
    const agent = this.agents.get(instanceId)
    if (agent !== undefined) {
      const { process } = agent
      if (!(await isSettled(process.exited))) {
        process.signal('SIGKILL')
        await process.exited
      }
      agent.terminatedAt = Date.now()
    }
    await this.#removeContainers([instanceId])
  }

  agent(instanceId: string): LaunchedAgent {
    const agent = this.agents.get(instanceId)
    if (agent === undefined) throw new Error(`no agent was launched for ${instanceId}`)
    return agent
  }

  /** An agent's log lines, as parsed JSON objects. */
  lines(instanceId: string): readonly LogRecord[] {
    return this.agent(instanceId).process.lines
  }

  /** Whether the agent process of an instance is still running. */
  async running(instanceId: string): Promise<boolean> {
    const agent = this.agents.get(instanceId)
    return agent !== undefined && !(await isSettled(agent.process.exited))
  }

  /** Every container an instance's agent made, by its instance label. */
  async containers(instanceId: string): Promise<Dockerode.ContainerInfo[]> {
    return this.#docker.listContainers({ all: true, filters: { label: [`${INSTANCE_LABEL}=${instanceId}`] } })
  }

  /** Every agent's log, one block per instance, for a failing test's output. */
  report(options: { tail?: number } = {}): string {
    const tail = options.tail ?? 80
    return [...this.agents.values()]
      .map(({ instanceId, process, terminatedAt }) => {
        const lines = process.lines.slice(-tail).map((line) => `  ${JSON.stringify(line)}`)
        const stderr = process.stderr.join('').trim()
        const state = terminatedAt === undefined ? 'alive' : 'terminated'
        return [`--- ${instanceId} (${state}, ${process.lines.length} lines, last ${lines.length}) ---`, ...lines, ...(stderr === '' ? [] : [`  stderr: ${stderr.slice(-2000)}`])].join('\n')
      })
      .join('\n')
  }

  /** Kills every agent, removes every container they made, and their state dirs. */
  async close(): Promise<void> {
    this.#closed = true
    const ids = [...this.agents.keys()]
    await Promise.allSettled(ids.map((id) => this.terminate(id)))
    // Anything created after its instance's termination (a late create of a dying agent).
    await this.#removeContainers(ids)
    await rm(await this.#root, { recursive: true, force: true })
  }

  async #removeContainers(instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return
    // Docker ANDs label filters, so list every deckhand container and pick this instance's.
    const listed = await this.#docker.listContainers({ all: true, filters: { label: [INSTANCE_LABEL] } })
    const ids = new Set(instanceIds)
    const mine = listed.filter((c) => ids.has(c.Labels[INSTANCE_LABEL] ?? ''))
    await Promise.all(
      mine.map((c) =>
        this.#docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch((error: { statusCode?: number }) => {
            // Already gone, or being removed by the engine: either way not there.
            if (error.statusCode !== 404 && error.statusCode !== 409) throw error
          }),
      ),
    )
  }
}

async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending')
  return (await Promise.race([promise, Promise.resolve(pending)])) !== pending
}
