/**
 * A dependency outage is not a reason to replace the fleet (SPEC §1.7). When a container keeps
 * crashing, the instance tags itself `degraded`; it sets itself Unhealthy (so the group replaces
 * it) only while fewer than `maxUnavailable` instances of the group are out of service for
 * replacement, and only in its turn.
 *
 * Out of service for replacement: a slot of the desired capacity whose instance is set Unhealthy,
 * leaving (terminating, or tagged draining), or a replacement not yet ready (Pending, booting,
 * failed, untagged), or that has no instance at all. A degraded instance that is still Healthy
 * and InService is not out of service for replacement: it is the one asking. The degraded Healthy instances form one queue in
 * the gate's fixed launch order, and the first `maxUnavailable - out` of them may go, so agents
 * deciding from the same view at the same moment never overshoot.
 *
 * When every instance crash-loops because a shared dependency is down, one batch goes; its
 * replacements fail to get ready (they crash-loop too), stay out of service for replacement, and
 * hold everyone else where they are: a circuit breaker with no extra parts.
 */
import { compareLaunchOrder, isLeaving, resolveMaxUnavailable } from './gate.js'
import type { GroupView, InstanceView, RolloutPolicy } from './group-view.js'

export type ReplacementTurn =
  | { readonly decision: 'replace'; readonly reason: string; readonly out: number; readonly maxUnavailable: number; readonly position: number }
  | { readonly decision: 'wait'; readonly reason: string; readonly out: number; readonly maxUnavailable: number; readonly position?: number }

/**
 * Up, for this question: InService, Healthy, not leaving, and tagged ready or degraded (a
 * degraded instance still runs, and waits for its turn).
 */
export function isUp(instance: InstanceView): boolean {
  return instance.lifecycleState === 'InService' && instance.health === 'Healthy' && !isLeaving(instance) && (instance.state === 'ready' || instance.state === 'degraded')
}

/**
 * Slots of the desired capacity that are out of service for replacement: desired capacity minus
 * the instances that are up. An instance set Unhealthy and its replacement booting are one slot,
 * as in the gate's shortfall; surplus instances buy nothing.
 */
export function outForReplacement(view: GroupView): number {
  const desired = Number.isFinite(view.desiredCapacity) ? Math.max(0, Math.floor(view.desiredCapacity)) : 0
  return Math.max(0, desired - view.instances.filter(isUp).length)
}

/** May this degraded instance set itself Unhealthy now? */
export function replacementTurn(view: GroupView, self: { readonly instanceId: string }, policy: Pick<RolloutPolicy, 'maxUnavailable'>): ReplacementTurn {
  const maxUnavailable = resolveMaxUnavailable(policy, view.desiredCapacity)
  const out = outForReplacement(view)
  const queue = view.instances
    .filter((instance) => instance.state === 'degraded' && isUp(instance))
    .sort(compareLaunchOrder)
  const position = queue.findIndex((instance) => instance.id === self.instanceId)
  const budget = Math.max(0, maxUnavailable - out)
  const numbers = `${out} of ${view.desiredCapacity} out of service for replacement, at most ${maxUnavailable} may be`
  if (position < 0) return { decision: 'wait', reason: `the view does not show this instance degraded and Healthy yet; waiting for a fresher view (${numbers})`, out, maxUnavailable }
  if (position < budget) return { decision: 'replace', reason: `${position + 1} of ${queue.length} degraded instances in line and ${budget} may go (${numbers})`, out, maxUnavailable, position }
  return {
    decision: 'wait',
    reason:
      budget === 0
        ? `the group is already ${numbers}: staying up, restarting with backoff, until a replacement is ready (a shared dependency may be down)`
        : `${position + 1} of ${queue.length} degraded instances in line; only the first ${budget} may go (${numbers})`,
    out,
    maxUnavailable,
    position,
  }
}
