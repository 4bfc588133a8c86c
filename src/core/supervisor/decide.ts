import type { ContainerState } from '../../ports/container-runtime.js'
import type { ContainerHealth } from '../../ports/status-store.js'

/**
 * What the supervisor should do next for one container, as a pure function of what it knows.
 * The loop in supervisor.ts carries the decision out; tests compare decisions as values.
 */
export type Decision =
  | { readonly kind: 'none' }
  | { readonly kind: 'wait-dependencies'; readonly on: readonly string[] }
  | { readonly kind: 'wait-backoff'; readonly until: number }
  | { readonly kind: 'create' }
  | { readonly kind: 'start'; readonly id: string }
  /** Docker refuses to start a `dead` container: remove it, then create and start a new one. */
  | { readonly kind: 'recreate'; readonly id: string }
  | { readonly kind: 'restart-unhealthy'; readonly id: string }

export interface DecisionInput {
  readonly observed: ContainerState | undefined
  readonly health: ContainerHealth
  /** Names of the dependencies that are not healthy now. */
  readonly unhealthyDependencies: readonly string[]
  /** Earliest time the next start may happen (backoff); undefined when no failure is pending. */
  readonly notBefore: number | undefined
  readonly now: number
}

export function decide(input: DecisionInput): Decision {
  const { observed } = input
  if (observed && isRunning(observed)) {
    return input.health === 'unhealthy' ? { kind: 'restart-unhealthy', id: observed.id } : { kind: 'none' }
  }
  if (observed?.status === 'removing') return { kind: 'none' }
  if (input.notBefore !== undefined && input.now < input.notBefore) return { kind: 'wait-backoff', until: input.notBefore }
  if (input.unhealthyDependencies.length > 0) return { kind: 'wait-dependencies', on: input.unhealthyDependencies }
  if (!observed) return { kind: 'create' }
  return observed.status === 'dead' ? { kind: 'recreate', id: observed.id } : { kind: 'start', id: observed.id }
}

/** Paused and restarting containers are left alone: someone is working on them on purpose. */
export function isRunning(state: ContainerState): boolean {
  return state.status === 'running' || state.status === 'paused' || state.status === 'restarting'
}

/**
 * Health from the engine, for containers whose check Docker runs (a `cmd` check, or the image's
 * own HEALTHCHECK); a container with neither is healthy once running.
 */
export function engineHealth(state: ContainerState | undefined): ContainerHealth {
  if (!state || !isRunning(state)) return 'unknown'
  switch (state.engineHealth) {
    case 'none':
    case 'healthy':
      return 'healthy'
    case 'starting':
      return 'starting'
    case 'unhealthy':
      return 'unhealthy'
  }
}
