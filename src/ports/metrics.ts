import type { GateResult } from '../core/rollout/gate.js'
import type { InstanceState, StatusReport } from './status-store.js'

/** How one call to AWS or the Docker engine ended: throttled is AWS's (or a registry's) "slow down". */
export type CallOutcome = 'ok' | 'throttled' | 'error'

/** How a container's run ended, as far as the engine knows. */
export interface ContainerExit {
  /** undefined when the container was removed or the engine did not say. */
  readonly exitCode?: number | undefined
  readonly oomKilled: boolean
}

/**
 * What deckhand counts and measures, in its own words. An adapter turns these calls into
 * Prometheus metrics and serves them with the status document (SPEC §6); every method is cheap
 * and never throws, so callers need no guard. `NO_METRICS` is for callers given none.
 */
export interface Metrics {
  /** The status document as the supervisor writes it: per container up, healthy, restarts; the instance's state and revision. */
  status(report: StatusReport): void
  /** The instance's state where the agent knows more than the supervisor (failed, draining). */
  instanceState(state: InstanceState, revision: string): void
  /** A container's run ended (crash, kill, OOM, removal); not a stop deckhand asked for. */
  containerExited(container: string, exit: ContainerExit): void
  /** From a container's run ending to it running again. */
  respawned(container: string, durationMs: number): void
  /** From the start of the boot to every container healthy, or to the boot failing. */
  booted(durationMs: number, outcome: 'ready' | 'failed'): void
  /** One answer of the rollout gate; pass the GateResult itself. */
  gateDecision(result: Pick<GateResult, 'decision' | 'code'>): void
  /** One call to AWS (operation as the SDK names it: GetParameter) or to the Docker engine (list, start...). */
  call(system: 'aws' | 'docker', operation: string, outcome: CallOutcome): void
}

const nothing = (): void => undefined

/** Metrics that go nowhere: for tests and for `DECKHAND_METRICS_ADDR=off`. */
export const NO_METRICS: Metrics = Object.freeze({
  status: nothing,
  instanceState: nothing,
  containerExited: nothing,
  respawned: nothing,
  booted: nothing,
  gateDecision: nothing,
  call: nothing,
})
