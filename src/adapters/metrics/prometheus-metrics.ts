import Counter from 'prom-client/lib/counter.js'
import Gauge from 'prom-client/lib/gauge.js'
import Histogram from 'prom-client/lib/histogram.js'
import Registry from 'prom-client/lib/registry.js'
import type { CallOutcome, ContainerExit, Metrics } from '../../ports/metrics.js'
import type { InstanceState, StatusReport } from '../../ports/status-store.js'

const STATES: readonly InstanceState[] = ['booting', 'ready', 'degraded', 'crash-loop', 'failed', 'draining', 'stopped']

/** Respawns take tens of milliseconds when all is well and up to the one-minute backoff cap when not. */
const RESPAWN_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120]

/**
 * The Metrics port as Prometheus metrics (prom-client), on a registry of its own, plus the last
 * status document for GET /status. Names follow Prometheus' conventions: `_total` counters,
 * seconds, one gauge per instance state set to 1 for the current one.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry()
  #report: StatusReport | undefined
  readonly #restartsSeen = new Map<string, number>()
  #info: { service: string; instance: string; revision: string } = { service: '', instance: '', revision: '' }

  readonly #up = this.#gauge('deckhand_container_up', 'Whether the container is running (1) or not (0).', ['container'])
  readonly #healthy = this.#gauge('deckhand_container_healthy', 'Whether the container is healthy (1) or not (0).', ['container'])
  readonly #restarts = new Counter({ name: 'deckhand_container_restarts_total', help: 'Restarts of the container by deckhand since this agent started.', labelNames: ['container'], registers: [this.registry] })
  readonly #exitCode = this.#gauge('deckhand_container_last_exit_code', "Exit code of the container's last run that ended.", ['container'])
  readonly #oomKills = new Counter({ name: 'deckhand_container_oom_kills_total', help: 'Runs of the container the kernel ended for lack of memory.', labelNames: ['container'], registers: [this.registry] })
  readonly #state = this.#gauge('deckhand_instance_state', "The instance's state: 1 for the current one, 0 for the others.", ['state'])
  readonly #instance = this.#gauge('deckhand_instance_info', 'The service, instance and revision this agent runs (always 1).', ['service', 'instance', 'revision'])
  readonly #boot = this.#gauge('deckhand_boot_duration_seconds', 'From the start of the boot to every container healthy (ready) or to the boot failing.', ['outcome'])
  // One histogram for the instance: restarts per container are counted above, and a label here
  // would multiply thirteen series by every container.
  readonly #respawn = new Histogram({ name: 'deckhand_respawn_duration_seconds', help: "From a container's run ending to it running again, any container.", buckets: RESPAWN_BUCKETS, registers: [this.registry] })
  readonly #gate = new Counter({ name: 'deckhand_gate_decisions_total', help: 'Answers of the rollout gate, by decision and reason code.', labelNames: ['decision', 'code'], registers: [this.registry] })
  readonly #calls = {
    aws: new Counter({ name: 'deckhand_aws_calls_total', help: 'Requests to AWS (each attempt), by operation and outcome.', labelNames: ['operation', 'outcome'], registers: [this.registry] }),
    docker: new Counter({ name: 'deckhand_docker_calls_total', help: 'Calls to the Docker engine, by operation and outcome.', labelNames: ['operation', 'outcome'], registers: [this.registry] }),
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** The last status document, undefined before the first. */
  get report(): StatusReport | undefined {
    return this.#report
  }

  status(report: StatusReport): void {
    this.#report = report
    for (const c of report.containers) {
      this.#up.set({ container: c.name }, c.phase === 'running' ? 1 : 0)
      this.#healthy.set({ container: c.name }, c.health === 'healthy' ? 1 : 0)
      // The report carries the count since the revision started (it survives an agent restart);
      // the counter counts from this agent's start, as Prometheus counters do.
      const seen = this.#restartsSeen.get(c.name)
      if (seen === undefined) this.#restarts.inc({ container: c.name }, 0)
      else if (c.restarts > seen) this.#restarts.inc({ container: c.name }, c.restarts - seen)
      this.#restartsSeen.set(c.name, c.restarts)
    }
    this.#setInfo({ service: report.service, instance: report.instanceId, revision: report.revision })
    this.#setState(report.state)
  }

  instanceState(state: InstanceState, revision: string): void {
    this.#setInfo({ ...this.#info, revision })
    this.#setState(state)
  }

  containerExited(container: string, exit: ContainerExit): void {
    if (exit.exitCode !== undefined) this.#exitCode.set({ container }, exit.exitCode)
    if (exit.oomKilled) this.#oomKills.inc({ container })
    else this.#oomKills.inc({ container }, 0)
  }

  respawned(_container: string, durationMs: number): void {
    this.#respawn.observe(durationMs / 1000)
  }

  booted(durationMs: number, outcome: 'ready' | 'failed'): void {
    this.#boot.set({ outcome }, durationMs / 1000)
  }

  gateDecision(result: { readonly decision: string; readonly code: string }): void {
    this.#gate.inc({ decision: result.decision, code: result.code })
  }

  call(system: 'aws' | 'docker', operation: string, outcome: CallOutcome): void {
    this.#calls[system].inc({ operation, outcome })
  }

  #gauge<T extends string>(name: string, help: string, labelNames: readonly T[]): Gauge<T> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] })
  }

  #setState(state: InstanceState): void {
    for (const s of STATES) this.#state.set({ state: s }, s === state ? 1 : 0)
  }

  #setInfo(info: { service: string; instance: string; revision: string }): void {
    if (info.service === this.#info.service && info.instance === this.#info.instance && info.revision === this.#info.revision) return
    this.#instance.reset()
    this.#instance.set(info, 1)
    this.#info = info
  }
}
