/**
 * The rollout gate (SPEC §5): may this out-of-date instance terminate itself now?
 *
 * There is no leader, lock or lease. Each agent decides only for itself, from a view of the group,
 * with this pure function, and a view fixes the answer for the whole group: the out-of-date ready
 * instances form one queue in launch order (launch time, then instance id, both fixed for an
 * instance's life and the same in every view), and the first `maxUnavailable - shortfall` of them
 * may go. Agents that read the same view terminate exactly that set, in any order, at any speed.
 *
 * Shortfall is desired capacity minus the instances that serve (InService, Healthy, tagged ready,
 * warmed up), never a count of instances that do not. That is what makes the termination race
 * harmless: an instance that has called Terminate and whose replacement the ASG has not launched
 * yet, or whose replacement is Pending, booting or warming up, is one missing slot whatever the
 * view shows of it, counted once. Terminating and draining instances never serve, so the budget
 * they used stays used until their replacement serves. Surplus serving instances (a scale-in in
 * progress, capacity rebalancing launching before it terminates) never buy budget: shortfall is at
 * least 0.
 *
 * Stale views. Every view is old by the time it is read, and agents read theirs at different
 * times, so the guarantee must not depend on freshness. Take any moment, the instances in flight
 * then (they went through the budget, and their slot does not serve again yet), and Z, the last of
 * them in launch order, which decided on a view V. Every other in-flight instance is ahead of Z, so
 * in V it either did not serve (it is in V's shortfall) or served and was out of date (it is ahead
 * of Z in V's queue, so in Z's position). Hence in-flight plus otherwise-missing capacity is at
 * most shortfall(V) + position(Z) + 1 <= maxUnavailable, however old V was. The argument needs:
 *
 * 1. An instance a view shows serving did serve then. The adapter takes lifecycle and health from
 *    one DescribeAutoScalingGroups answer (it never shows a terminated instance and its
 *    replacement both InService); tags can only take instances out of serving. The agent should
 *    tag itself draining before it calls Terminate, so others see the slot as used one call sooner.
 * 2. The free pass for an out-of-date instance that is not ready is decided on the agent's own
 *    record of its state (`self.state`; it is the only writer of its tag), never on the view
 *    alone. A view read while the agent was still booting would let it leave for free after it has
 *    started serving: that is where the rule as written in SPEC §5 overshoots (test/core/rollout
 *    finds this by simulation), by at least one for every out-of-date instance that became ready
 *    within the view's age; not by those alone, since a run mixing instances without ready-at
 *    and failed ones overshot further, so the naive rule's overshoot has no simple bound. When the view lags the agent, the gate waits for a fresher one (`stale-view`).
 * 3. Z's agent calls out of date every instance ahead of Z. Agents read SSM each on its own, so
 *    after a release they disagree for up to one drift interval, harmlessly while releases move
 *    forward: Z is out of date by its agent's belief, so that belief is newer than Z's revision,
 *    which is at least as new as anything launched before Z. A rollback (the version set back
 *    during a rollout) breaks this: each belief can spend the budget once, so at most (number of
 *    beliefs) x maxUnavailable, for at most one drift interval.
 *
 * Capacity lost after V was read for other reasons (a crash, a scale-in) is not in V; the next
 * check sees it and the rollout stops there. A release whose new instances never get ready keeps
 * the shortfall up and stalls the rollout by itself.
 */
import type { GroupView, InstanceView, LifecycleState, RolloutPolicy, TagState } from './group-view.js'

/** Why an instance is out of date. */
export type Drift = 'revision' | 'launch-template' | 'image'

/** This agent, as it knows itself: fresher than any view. */
export interface GateSelf {
  readonly instanceId: string
  /** The revision this instance runs, computed once at boot. */
  readonly revision: string
  /** The revision the agent computes from SSM now. */
  readonly desiredRevision: string
  /** The deckhand:state this agent last wrote on its own instance. */
  readonly state: TagState
}

/** The numbers behind a decision, for the audit log line. */
export interface GateFacts {
  readonly group: string
  readonly desired: number
  /** Instances that count as serving (InService, Healthy, ready, warmed up). */
  readonly serving: number
  readonly shortfall: number
  readonly maxUnavailable: number
  /** maxUnavailable - shortfall, at least 0: how many of the queue may go now. */
  readonly budget: number
  /** Out-of-date ready instances, in launch order. */
  readonly queue: number
  /** This instance's place in that queue, from 0; absent when it is not in it. */
  readonly position?: number
  /** Why this instance is out of date; empty when it is up to date. */
  readonly outOfDate: readonly Drift[]
}

export type TerminateCode = 'within-budget' | 'not-ready' | 'unhealthy'
export type WaitCode = 'not-in-view' | 'already-leaving' | 'out-of-service' | 'degraded' | 'stale-view' | 'no-budget' | 'queued'

export type GateResult =
  | { readonly decision: 'terminate'; readonly code: TerminateCode; readonly reason: string; readonly facts: GateFacts }
  | { readonly decision: 'wait'; readonly code: WaitCode; readonly reason: string; readonly facts: GateFacts }
  | { readonly decision: 'stay'; readonly code: 'up-to-date'; readonly reason: string; readonly facts: GateFacts }

const COMING: ReadonlySet<LifecycleState> = new Set(['Pending', 'Pending:Wait', 'Pending:Proceed'])

const LEAVING: ReadonlySet<LifecycleState> = new Set([
  'Terminating',
  'Terminating:Wait',
  'Terminating:Proceed',
  'Terminated',
  'Detaching',
  'Detached',
  'Warmed:Terminating',
  'Warmed:Terminating:Wait',
  'Warmed:Terminating:Proceed',
  'Warmed:Terminated',
])

/**
 * Out of service on purpose: Standby, the warm pool, quarantine. They never serve, and deckhand
 * does not terminate them: an operator or the warm pool owns them.
 */
const PARKED: ReadonlySet<LifecycleState> = new Set([
  'Quarantined',
  'EnteringStandby',
  'Standby',
  'Warmed:Pending',
  'Warmed:Pending:Wait',
  'Warmed:Pending:Proceed',
  'Warmed:Stopped',
  'Warmed:Running',
  'Warmed:Hibernated',
])

/**
 * What makes an instance out of date. The launch template and image count only when both the
 * group and the instance name one, so every agent reads the same answer from the same view and
 * an unknown never terminates anything. A missing revision tag counts as a different revision.
 */
export function outOfDateReasons(instance: InstanceView, desiredRevision: string, view: GroupView): Drift[] {
  const reasons: Drift[] = []
  if (instance.revision !== desiredRevision) reasons.push('revision')
  const want = view.currentLaunchTemplate
  const have = instance.launchTemplate
  if (want && have && (want.id !== have.id || want.version !== have.version)) reasons.push('launch-template')
  if (view.currentImageId !== undefined && instance.imageId !== undefined && view.currentImageId !== instance.imageId) {
    reasons.push('image')
  }
  return reasons
}

export function isOutOfDate(instance: InstanceView, desiredRevision: string, view: GroupView): boolean {
  return outOfDateReasons(instance, desiredRevision, view).length > 0
}

/** Terminating, terminated, detaching, or tagged draining: on its way out of the group. */
export function isLeaving(instance: InstanceView): boolean {
  return LEAVING.has(instance.lifecycleState) || instance.state === 'draining'
}

/**
 * Ready for the gate's purposes: tagged ready and Healthy, InService or about to be (a launch hook
 * still pending). Such an instance carries traffic now or in a moment, so it leaves only through
 * the budget, warmed up or not.
 */
export function isReady(instance: InstanceView): boolean {
  return (
    instance.state === 'ready' &&
    instance.health === 'Healthy' &&
    (instance.lifecycleState === 'InService' || COMING.has(instance.lifecycleState))
  )
}

/**
 * Ready for at least the warm-up, by its ready-at tag. A ready instance with no readable ready-at
 * is not warmed up (the agent writes both in one call, so a missing one is an anomaly, and
 * guessing would count capacity that may not be there); with a warm-up of 0 the time is not needed.
 */
export function isWarmedUp(instance: InstanceView, warmupMs: number, now: number): boolean {
  if (warmupMs <= 0) return true
  return instance.readyAt !== undefined && now - instance.readyAt >= warmupMs
}

export function isServing(instance: InstanceView, policy: Pick<RolloutPolicy, 'warmupMs'>, now: number): boolean {
  return instance.lifecycleState === 'InService' && isReady(instance) && isWarmedUp(instance, policy.warmupMs, now)
}

export function servingCount(view: GroupView, policy: Pick<RolloutPolicy, 'warmupMs'>, now: number): number {
  return view.instances.filter((instance) => isServing(instance, policy, now)).length
}

/** Desired capacity minus serving instances, at least 0. */
export function shortfall(view: GroupView, policy: Pick<RolloutPolicy, 'warmupMs'>, now: number): number {
  return Math.max(0, desiredOf(view) - servingCount(view, policy, now))
}

/**
 * How many instances may be out of service at once. A count is used as given, rounded down
 * (the manifest schema allows integers from 1; anything not finite reads as 0, which freezes the
 * rollout rather than guessing). A percentage is of desired capacity, rounded down and at least
 * 1: rounding down is the rounding Instance Refresh uses (it rounds MinHealthyPercentage up), and
 * the floor of 1 keeps small groups moving: "10%" of 5 instances is 1, of 25 is 2, of 0 is 1.
 * Percentages above 100 count as 100.
 */
export function resolveMaxUnavailable(policy: Pick<RolloutPolicy, 'maxUnavailable'>, desired: number): number {
  const spec = policy.maxUnavailable
  if (typeof spec === 'number') return Number.isFinite(spec) ? Math.max(0, Math.floor(spec)) : 0
  const percent = Number.isFinite(spec.percent) ? Math.min(100, Math.max(0, spec.percent)) : 0
  const capacity = Number.isFinite(desired) ? Math.max(0, Math.floor(desired)) : 0
  // The epsilon absorbs binary fractions (9.2% of 750 computes as 68.99999...), never a real remainder.
  return Math.max(1, Math.floor((capacity * percent) / 100 + 1e-9))
}

/** The queue's order: launch time, then instance id. An unreadable launch time goes first. */
export function compareLaunchOrder(a: InstanceView, b: InstanceView): number {
  const at = Number.isFinite(a.launchTime) ? a.launchTime : Number.NEGATIVE_INFINITY
  const bt = Number.isFinite(b.launchTime) ? b.launchTime : Number.NEGATIVE_INFINITY
  if (at !== bt) return at < bt ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * The out-of-date ready instances, in launch order: the rollout's queue. `self`, when given, is
 * judged by the revision it knows it runs rather than by its tag.
 */
export function rolloutQueue(view: GroupView, desiredRevision: string, self?: Pick<GateSelf, 'instanceId' | 'revision'>): InstanceView[] {
  return view.instances
    .filter((instance) => {
      if (!isReady(instance) || isLeaving(instance)) return false
      const judged = self && instance.id === self.instanceId ? { ...instance, revision: self.revision } : instance
      return isOutOfDate(judged, desiredRevision, view)
    })
    .sort(compareLaunchOrder)
}

export function gate(view: GroupView, self: GateSelf, policy: RolloutPolicy, now: number): GateResult {
  const desired = desiredOf(view)
  const serving = servingCount(view, policy, now)
  const short = Math.max(0, desired - serving)
  const maxUnavailable = resolveMaxUnavailable(policy, desired)
  const budget = Math.max(0, maxUnavailable - short)
  const queue = rolloutQueue(view, self.desiredRevision, self)
  const index = queue.findIndex((instance) => instance.id === self.instanceId)
  const me = view.instances.find((instance) => instance.id === self.instanceId)
  const outOfDate = me ? outOfDateReasons({ ...me, revision: self.revision }, self.desiredRevision, view) : []
  const facts: GateFacts = {
    group: view.name,
    desired,
    serving,
    shortfall: short,
    maxUnavailable,
    budget,
    queue: queue.length,
    ...(index < 0 ? {} : { position: index }),
    outOfDate,
  }
  const wait = (code: WaitCode, reason: string): GateResult => ({ decision: 'wait', code, reason, facts })
  const terminate = (code: TerminateCode, reason: string): GateResult => ({ decision: 'terminate', code, reason, facts })

  if (!me) return wait('not-in-view', `${self.instanceId} is not in the view of group ${view.name}; waiting for a view that lists it`)
  if (isLeaving(me) || self.state === 'draining') {
    return wait('already-leaving', `already leaving the group (${me.lifecycleState}, ${self.state === 'draining' ? 'draining' : (me.state ?? 'untagged')})`)
  }
  if (PARKED.has(me.lifecycleState)) {
    return wait('out-of-service', `in ${me.lifecycleState}, out of service on purpose; deckhand leaves it alone`)
  }
  if (outOfDate.length === 0) {
    return { decision: 'stay', code: 'up-to-date', reason: 'up to date: current revision, launch template and image', facts }
  }
  const why = outOfDate.join(', ')
  // A crash-looping instance (a dependency may be down) is out of service for replacement only in
  // its turn (replacement-turn.ts): letting it go here, free or through the budget, would replace
  // every out-of-date instance during an outage, and their replacements could not get ready.
  if (self.state === 'degraded' && me.health !== 'Unhealthy') {
    return wait('degraded', `out of date (${why}), but crash-looping: it leaves only in its turn for replacement, so an outage never takes more than maxUnavailable`)
  }
  if (self.state === 'ready' && me.state !== 'ready') {
    return wait('stale-view', `out of date (${why}), but the view shows this ready instance as ${me.state ?? 'untagged'}; waiting for a fresher view`)
  }
  // Auto Scaling replaces an Unhealthy instance rather than reviving it, so this cannot be stale.
  if (me.health === 'Unhealthy') {
    return terminate('unhealthy', `out of date (${why}) and Unhealthy, so it serves nothing; it may go without using the budget`)
  }
  if (me.state !== 'ready') {
    return terminate('not-ready', `out of date (${why}) and not ready (${self.state}), so it serves nothing; it may go without using the budget`)
  }
  const numbers = `${short} short of ${desired} serving, at most ${maxUnavailable} may be`
  if (budget === 0) return wait('no-budget', `out of date (${why}), but the group is already ${numbers}`)
  if (index < budget) return terminate('within-budget', `out of date (${why}) and ${ordinal(index + 1)} of ${queue.length} in line; ${budget} may go now (${numbers})`)
  return wait('queued', `out of date (${why}), ${ordinal(index + 1)} of ${queue.length} in line; only the first ${budget} may go now (${numbers})`)
}

function desiredOf(view: GroupView): number {
  return Number.isFinite(view.desiredCapacity) ? Math.max(0, Math.floor(view.desiredCapacity)) : 0
}

function ordinal(n: number): string {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  switch (n % 10) {
    case 1:
      return `${n}st`
    case 2:
      return `${n}nd`
    case 3:
      return `${n}rd`
    default:
      return `${n}th`
  }
}

export type LeaveResult = { readonly decision: 'leave' | 'wait'; readonly reason: string }

/**
 * `deckhand drain` without `--now`: may this instance leave on purpose now? It may when it does
 * not serve (nothing is lost), or when the group stays within maxUnavailable after it left:
 * shortfall + 1 <= maxUnavailable. Out-of-date instances waiting in the rollout's queue are not
 * overtaken: a voluntary leave uses the same budget and only when some is left.
 */
export function leaveGate(view: GroupView, instanceId: string, policy: RolloutPolicy, now: number): LeaveResult {
  const me = view.instances.find((instance) => instance.id === instanceId)
  if (!me) return { decision: 'wait', reason: `${instanceId} is not in the view of group ${view.name} yet` }
  if (isLeaving(me)) return { decision: 'leave', reason: `already leaving the group (${me.lifecycleState})` }
  if (!isServing(me, policy, now)) return { decision: 'leave', reason: 'this instance serves nothing now, so taking it out loses nothing' }
  const desired = desiredOf(view)
  const short = shortfall(view, policy, now)
  const maxUnavailable = resolveMaxUnavailable(policy, desired)
  const numbers = `${short} short of ${desired} serving, at most ${maxUnavailable} may be`
  if (short + 1 > maxUnavailable) return { decision: 'wait', reason: `the group is already ${numbers}; waiting until a replacement serves` }
  return { decision: 'leave', reason: `taking it out leaves the group ${short + 1} short, within maxUnavailable ${maxUnavailable}` }
}
