import { allowed } from '../../../src/core/agent/lifecycle.js'
import { driftIntervalBoundMs, viewDescribeCalls } from '../../../src/core/rollout/drift-interval.js'
import { gate, isServing, resolveMaxUnavailable } from '../../../src/core/rollout/gate.js'
import { outForReplacement, replacementTurn } from '../../../src/core/rollout/replacement-turn.js'
import type {
  GroupView,
  InstanceHealth,
  TagState,
  InstanceView,
  LifecycleState,
  RolloutPolicy,
} from '../../../src/core/rollout/group-view.js'

/**
 * A step-by-step model of one group rolling from revision r0 to r1 with every agent running the
 * real gate. Each step: scheduled transitions happen (replacements launch, boot, fail; drained
 * instances disappear; the ASG replaces unhealthy instances), the view of that moment is recorded,
 * then every live agent may run its drift check on a view up to `staleness` steps old. Decisions
 * taken in one step land together at its end, so agents within a step race exactly as real ones
 * do: none sees another's termination.
 *
 * Each agent holds its lifecycle state as the real one does (one writer, every change through
 * lifecycle.ts's `allowed`), and the gate is told that state. Without `chaos` its tags reach AWS
 * at once; with it they reach AWS some steps later, some are lost, and each drift check writes
 * again what the tags contradict (reconciliation). `chaos` also restarts agents, reboots hosts
 * and can take a shared dependency down, during which every app crash-loops and crash-looping
 * agents ask the real `replacementTurn` whether they may go, as crash-loop-turns.ts does: looks a
 * turn interval apart, and Unhealthy only when two looks in a row found the turn. The gate is
 * told the agent's state, so a crash-looping agent never leaves through it (unless Unhealthy).
 * Chaos draws from its own random stream, so a run without it is the same run it always was.
 *
 * The world's truth (containers, boot.json, AWS's own lifecycle and health) is kept apart from
 * what agents believe and what the tags say, so the records measure capacity as it really is.
 */

export const STEP_MS = 10_000
export const START = Date.UTC(2026, 10, 23, 12, 0, 0)
export const OLD = 'r0'
export const NEW = 'r1'

export type InitialKind =
  | 'serving-old'
  | 'serving-new'
  | 'unwarmed-old'
  | 'no-ready-at-old'
  | 'booting-old'
  | 'booting-new'
  | 'failed-old'

export interface InitialInstance {
  readonly kind: InitialKind
  /** Launched this many steps before the start (ties allowed: the id breaks them). */
  readonly launchedStepsAgo: number
  /** For booting kinds: ready after this many steps. */
  readonly readyAfter: number
}

export interface Chaos {
  /** Extra steps a tag write takes to reach AWS, beyond the end of the step it was made in. */
  readonly tagLag: { readonly min: number; readonly max: number }
  /** Chance that a write is lost (throttled past its tries, deleted by hand): the writer believes it landed. */
  readonly tagLoss: number
  /** Chance per step that an agent is restarted with the host up (SIGTERM alone): no drain, containers and tags kept. */
  readonly restartChance: number
  /** Chance that an agent the gate let go is restarted after tagging draining and before calling Terminate. */
  readonly interruptChance: number
  /** Chance per step that the host of a ready instance reboots: the agent drains, but nothing terminates it. */
  readonly rebootChance: number
  /** Chance that a rebooted host's containers never get healthy again (a cause on that host alone). */
  readonly brokenAfterReboot?: number
  /** Restarts, interruptions and reboots happen only before this step, so that a run can settle. */
  readonly until: number
  /** A shared dependency is down from step `from` to step `to` (excluded): every app crash-loops, nothing new gets ready. */
  readonly outage?: { readonly from: number; readonly to: number } | undefined
  /** How many steps old a crash-looping agent's view may be (the real agent reads one just before deciding). */
  readonly turnStaleness: number
  /**
   * Chance that a crash-looping agent's look at the group, once due, runs in this step (the
   * agent's one serial chain of lifecycle steps may hold it). Looks are due a turn interval apart.
   */
  readonly turnChance: number
  /**
   * Looks in a row that must find the turn before the agent sets itself Unhealthy: 2 as
   * crash-loop-turns.ts has it (the default); 1 replays the agent before 1d5981c, which overshot.
   */
  readonly turnLooks?: 1 | 2
}

export interface SimConfig {
  readonly initial: readonly InitialInstance[]
  readonly policy: RolloutPolicy
  /** How many steps old an agent's view may be. */
  readonly staleness: number
  /**
   * 'own-state': the agent tells the gate the state it last wrote itself (the real agent).
   * 'view-only': it knows only what the view says of it (the rule as SPEC §5 states it).
   */
  readonly selfKnowledge: 'own-state' | 'view-only'
  /** Chance that an agent runs its drift check in a step (checks are jittered). */
  readonly checkChance: number
  readonly bootSteps: { readonly min: number; readonly max: number }
  /** Chance that a replacement never gets ready (a bad release). */
  readonly failChance: number
  /** Steps between a termination and the ASG launching the replacement. */
  readonly launchLag: number
  readonly drainSteps: number
  readonly steps: number
  readonly seed: number
  readonly chaos?: Chaos
}

export interface StepRecord {
  readonly step: number
  /** desired - serving, at least 0, at the start of the step. */
  readonly unavailable: number
  /** Slots freed through the budget whose replacement does not serve yet. */
  readonly inFlight: number
  /** Slots freed by an instance that served but left without using the budget. */
  readonly unbudgeted: number
  readonly terminations: readonly string[]
  /** Slots out of service for replacement (replacement-turn.ts), by the agents' own states. */
  readonly outForReplacement: number
  /**
   * Slots out of service for a reason no agent chose: a host rebooted and not put back yet, or
   * replaced (crash-looping for good, or let go as not ready) and its replacement not serving yet.
   */
  readonly disrupted: number
  /**
   * Crash-looping (degraded) instances the gate let go at this step other than as Unhealthy: such
   * an instance leaves only through its replacement turn, so this is always empty.
   */
  readonly degradedThroughGate: readonly string[]
  /** The shared dependency is down at this step. */
  readonly outage: boolean
  /** Crash-looping instances that set themselves Unhealthy at this step. */
  readonly turns: readonly string[]
  /** What happened at this step, for the trace of a failure. */
  readonly events: readonly string[]
}

export interface SimResult {
  readonly desired: number
  readonly maxUnavailable: number
  readonly records: readonly StepRecord[]
  /** Every instance left in the group runs r1 and the group serves in full (and, with chaos, every tag says what its agent wrote). */
  readonly finished: boolean
}

interface Tags {
  readonly state?: TagState
  readonly revision?: string
  readonly readyAt?: number
}

/** An agent's lifecycle state: the single writer's desired tags. */
interface Desired {
  readonly state: TagState
  readonly revision?: string
  readonly readyAt?: number
}

/** The containers on the host, as Docker would tell. */
type Containers = 'starting' | 'healthy' | 'crash-loop' | 'broken' | 'stopped'

interface Live {
  readonly id: string
  readonly launchTime: number
  readonly runs: string
  lifecycleState: LifecycleState
  health: InstanceHealth
  /** What AWS holds, and so what views show. */
  tags: Tags
  /** The running agent's lifecycle; undefined while no agent runs (not started, restarting, host rebooting). */
  agent: Desired | undefined
  /** boot.json: when the instance first served, and a drain begun and not finished. */
  record: { readyAt?: number; drain: boolean }
  /** The one CreateTags in flight, of the state desired when it was sent. */
  write: { landsAt: number; lost: boolean; tags: Tags } | undefined
  containers: Containers
  /** When starting containers finish (healthy, or broken for a bad release). */
  readyAtStep: number | undefined
  fails: boolean
  unhealthySince: number | undefined
  leaveAtStep: number | undefined
  slotOf: string | undefined
  /** A restarted agent, or a rebooted host's agent, starts again at this step. */
  agentBackAt: number | undefined
  rebooting: boolean
  /** Its host rebooted and its agent has not put it back yet. */
  putBack: boolean
  /** Its crash-loop turns (crash-loop-turns.ts) while its agent is degraded: when the next look is due, and whether the last one found its turn. */
  turn: { nextAt: number; eligible: boolean } | undefined
  /** Its containers crash-loop whatever the dependencies do. */
  hostBroken: boolean
}

type SlotKind = 'budget' | 'unbudgeted' | 'disrupted' | 'free'

/** The ASG replaces an Unhealthy instance this many steps after it turned Unhealthy. */
const ASG_HEALTH_DELAY = 2

/** crash-loop-turns.ts: the fewest milliseconds between two looks at the group. */
const MIN_TURN_INTERVAL_MS = 30_000

export function simulate(config: SimConfig): SimResult {
  const random = mulberry32(config.seed)
  const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
  const chaos = config.chaos
  const chance = mulberry32(config.seed ^ 0x5bd1e995)
  const chancePick = (min: number, max: number) => min + Math.floor(chance() * (max - min + 1))
  const desired = config.initial.length
  const maxUnavailable = resolveMaxUnavailable(config.policy, desired)
  const ids = shuffle(config.initial.map((_, n) => `i-${String(n).padStart(3, '0')}`), random)
  let live: Live[] = config.initial.map((init, n) => initialInstance(init, ids[n]!))
  const launches: { at: number; slotOf: string | undefined }[] = []
  const slots = new Map<string, SlotKind>()
  const history: GroupView[] = []
  const records: StepRecord[] = []
  let launched = 0
  let events: string[] = []
  const note = (text: string) => void events.push(text)
  /** The last refusal noted per instance: a crash loop asks every step, the trace says it once. */
  const refused = new Map<string, string>()

  for (let step = 0; step < config.steps; step++) {
    const now = START + step * STEP_MS
    const down = chaos?.outage !== undefined && step >= chaos.outage.from && step < chaos.outage.to
    const troubled = chaos !== undefined && step < chaos.until
    events = []

    // The world moves: launches, boots, departures, health replacement.
    for (const launch of launches.filter((l) => l.at <= step)) {
      launched++
      live.push({
        id: `i-r${String(launched).padStart(4, '0')}`,
        launchTime: now,
        runs: NEW,
        lifecycleState: 'Pending',
        health: 'Healthy',
        tags: {},
        agent: undefined,
        record: { drain: false },
        write: undefined,
        containers: 'starting',
        readyAtStep: step + pick(config.bootSteps.min, config.bootSteps.max),
        fails: random() < config.failChance,
        unhealthySince: undefined,
        leaveAtStep: undefined,
        slotOf: launch.slotOf,
        agentBackAt: undefined,
        rebooting: false,
        putBack: false,
        turn: undefined,
        hostBroken: false,
      })
    }
    launches.splice(0, launches.length, ...launches.filter((l) => l.at > step))
    live = live.filter((l) => l.leaveAtStep === undefined || l.leaveAtStep > step)
    for (const l of live) {
      landWrite(l, step)
      if (chaos && !leaving(l)) disturb(l, step, down, troubled)
      if (l.lifecycleState === 'Pending' && l.agent === undefined && l.agentBackAt === undefined && l.launchTime < now) {
        l.lifecycleState = 'Pending:Wait'
        startAgent(l, step)
      }
      // Tagged ready one step (the write answered), the launch hook completed (InService) the next,
      // on the containers' ready (agent.ts `#ready`): a restarted agent adopting a crash loop does not complete it.
      if (l.lifecycleState === 'Pending:Wait' && l.agent?.state === 'ready' && l.write === undefined && l.containers === 'healthy') l.lifecycleState = 'InService'
      if (l.containers === 'starting' && l.readyAtStep !== undefined && l.readyAtStep <= step) {
        l.readyAtStep = undefined
        l.containers = l.fails ? 'broken' : down || l.hostBroken ? 'crash-loop' : 'healthy'
      }
      if (down && l.containers === 'healthy') l.containers = 'crash-loop'
      if (!down && !l.hostBroken && l.containers === 'crash-loop') l.containers = 'healthy'
      supervise(l, step, now)
      if (l.unhealthySince !== undefined && step - l.unhealthySince >= ASG_HEALTH_DELAY && !leaving(l)) {
        note(`${l.id} replaced by the group (Unhealthy)`)
        leave(l, step, l.putBack ? disrupt(l) : l.slotOf)
      }
    }

    const view: GroupView = { name: 'sim', desiredCapacity: desired, instances: live.map(toView) }
    history.push(view)

    for (const l of live) {
      // A replacement whose host reboots before it serves: its slot is the reboot's (`disrupted`) from then on.
      if (l.slotOf !== undefined && (serves(l, now) || l.putBack)) {
        slots.delete(l.slotOf)
        l.slotOf = undefined
      }
    }
    const serving = live.filter((l) => serves(l, now)).length
    const count = (kind: SlotKind) => [...slots.values()].filter((k) => k === kind).length

    // Agents decide, each on its own view; the decisions land together at the end of the step.
    const decided: { l: Live; kind: SlotKind }[] = []
    const interrupted: Live[] = []
    const turns: Live[] = []
    const degradedThroughGate: string[] = []
    for (const l of shuffle(live, random)) {
      if (leaving(l) || !(l.lifecycleState === 'InService' || l.lifecycleState.startsWith('Pending'))) continue
      if (chaos && l.agent === undefined) continue
      if (random() >= config.checkChance) continue
      const age = pick(0, Math.min(config.staleness, step))
      const seen = history[step - age]!
      const entry = seen.instances.find((i) => i.id === l.id)
      if (chaos && l.agent) reconcile(l, step)
      const state = config.selfKnowledge === 'own-state' ? (l.agent?.state ?? 'booting') : (entry?.state ?? 'booting')
      const result = gate(seen, { instanceId: l.id, revision: l.runs, desiredRevision: NEW, state }, config.policy, now)
      if (result.decision === 'wait' && result.code === 'degraded') {
        const refusal = `${l.id} gate: wait degraded`
        if (refused.get(l.id) !== refusal) note(`${refusal} (view ${age} steps old shows ${entry?.state ?? 'untagged'})`)
        refused.set(l.id, refusal)
      }
      if (result.decision !== 'terminate') continue
      note(`${l.id} gate: terminate ${result.code} (own state ${state}, view ${age} steps old shows ${entry?.state ?? 'untagged'}${entry ? ` ${entry.health}` : ''})`)
      // Unhealthy, a crash-looping instance has had its turn: the gate may then let it go for free.
      if (l.agent?.state === 'degraded' && result.code !== 'unhealthy') degradedThroughGate.push(l.id)
      if (troubled && chance() < chaos.interruptChance) {
        interrupted.push(l)
        continue
      }
      const kind: SlotKind = result.code === 'within-budget' ? 'budget' : serves(l, now) ? 'unbudgeted' : l.putBack ? 'disrupted' : 'free'
      decided.push({ l, kind })
    }
    if (chaos) {
      for (const l of live) {
        // The first look once the degraded tag is written, then one a turn interval after the last.
        if (l.agent?.state !== 'degraded' || l.write !== undefined || l.health === 'Unhealthy' || leaving(l)) continue
        l.turn ??= { nextAt: step, eligible: false }
        if (step < l.turn.nextAt || chance() >= chaos.turnChance) continue
        const age = chancePick(0, Math.min(chaos.turnStaleness, step))
        const turn = replacementTurn(history[step - age]!, { instanceId: l.id }, config.policy)
        const go = turn.decision === 'replace' && (l.turn.eligible || chaos.turnLooks === 1)
        const seen = `${turn.reason}; view ${age} steps old`
        if (turn.decision === 'replace') note(`${l.id} crash loop: ${go ? 'its turn, going' : 'its turn, if the next look agrees'} (${seen})`)
        else if (l.turn.eligible) note(`${l.id} crash loop: not its turn on the next look, staying (${seen})`)
        l.turn = { nextAt: step + turnIntervalSteps(), eligible: turn.decision === 'replace' }
        if (go) turns.push(l)
      }
    }
    records.push({
      step,
      unavailable: Math.max(0, desired - serving),
      inFlight: count('budget'),
      unbudgeted: count('unbudgeted'),
      terminations: decided.map((d) => d.l.id).sort(),
      outForReplacement: outForReplacement({ ...view, instances: live.map(toTruth) }),
      disrupted: live.filter((l) => !leaving(l) && l.putBack).length + count('disrupted'),
      degradedThroughGate: degradedThroughGate.sort(),
      outage: down,
      turns: turns.map((l) => l.id).sort(),
      events,
    })
    for (const { l, kind } of decided) {
      slots.set(l.id, kind)
      transition(l, 'draining', step)
      leave(l, step, l.id)
    }
    for (const l of interrupted) {
      transition(l, 'draining', step)
      restartAgent(l, step, 'after tagging draining, before Terminate')
    }
    for (const l of turns) {
      l.health = 'Unhealthy'
      l.unhealthySince = step
      l.turn = undefined
    }

    const settled = !chaos || (!troubled && step >= (chaos.outage?.to ?? 0))
    if (settled && decided.length === 0 && launches.length === 0 && isFinished(live, desired, serving)) break
  }

  const last = records[records.length - 1]
  return {
    desired,
    maxUnavailable,
    records,
    finished: last !== undefined && isFinished(live, desired, desired - last.unavailable),
  }

  /** crash-loop-turns.ts `#schedule`: the turn interval bound for the group's size, jittered up by at most 20%. */
  function turnIntervalSteps(): number {
    const bound = driftIntervalBoundMs({ fleetSize: desired, autoScalingCalls: 1, ec2Calls: viewDescribeCalls(desired), minIntervalMs: MIN_TURN_INTERVAL_MS })
    return Math.ceil((bound * (1 + 0.2 * chance())) / STEP_MS)
  }

  /** A rebooted host leaves before it was put back: its slot stays the reboot's until the replacement serves. */
  function disrupt(l: Live): string {
    slots.set(l.id, 'disrupted')
    return l.id
  }

  function isFinished(instances: readonly Live[], want: number, serving: number): boolean {
    if (serving < want || !instances.every((l) => leaving(l) || l.runs === NEW)) return false
    // With chaos, also: every agent runs and is ready, and its tags say so (reconciliation caught up).
    return !chaos || instances.every((l) => leaving(l) || (l.agent?.state === 'ready' && l.write === undefined && sameTags(l.tags, l.agent)))
  }

  /** Serving in truth: InService, Healthy, not leaving, its containers healthy, warmed up by when it first served. */
  function serves(l: Live, now: number): boolean {
    return isServing(
      { ...toView(l), state: l.containers === 'healthy' && !leaving(l) ? 'ready' : 'booting', ...(l.record.readyAt === undefined ? {} : { readyAt: l.record.readyAt }) },
      config.policy,
      now,
    )
  }

  /** The lifecycle's one writer: every change through the real table, then written. */
  function transition(l: Live, to: TagState, step: number, detail: { readonly readyAt?: number; readonly restore?: boolean } = {}): boolean {
    const from = l.agent
    if (from === undefined) return false
    if (!allowed(from.state, to, detail.restore === true ? { restore: true } : {})) {
      const refusal = `${l.id} lifecycle stays ${from.state}: ${to} does not follow it`
      if (refused.get(l.id) !== refusal) note(refusal)
      refused.set(l.id, refusal)
      return false
    }
    refused.delete(l.id)
    const readyAt = from.readyAt ?? detail.readyAt
    if (from.state === to && from.readyAt === readyAt) return true
    l.agent = { state: to, ...(from.revision === undefined ? {} : { revision: from.revision }), ...(readyAt === undefined ? {} : { readyAt }) }
    // Out of degraded, the turns are cancelled: a later crash loop starts them afresh.
    if (to !== 'degraded') l.turn = undefined
    note(`${l.id} lifecycle ${from.state} -> ${to}`)
    sync(l, step)
    return true
  }

  function sync(l: Live, step: number): void {
    const agent = l.agent
    if (agent === undefined) return
    if (!chaos) {
      l.tags = agent
      return
    }
    // At most one write in flight; a newer state waits for it and is written next (landWrite).
    if (l.write !== undefined) return
    l.write = { landsAt: step + 1 + chancePick(chaos.tagLag.min, chaos.tagLag.max), lost: chance() < chaos.tagLoss, tags: agent }
  }

  function landWrite(l: Live, step: number): void {
    const write = l.write
    if (write === undefined || write.landsAt > step) return
    l.write = undefined
    if (write.lost) note(`${l.id} tag write of ${write.tags.state ?? 'nothing'} lost`)
    else l.tags = write.tags
    if (l.agent !== undefined && !sameTags(write.tags, l.agent)) sync(l, step)
  }

  /** The drift check's first part: the instance's own tags (IMDS, fresh) against what the agent holds. */
  function reconcile(l: Live, step: number): void {
    if (l.agent === undefined || l.write !== undefined || sameTags(l.tags, l.agent)) return
    note(`${l.id} tags show ${l.tags.state ?? 'nothing'}, the agent holds ${l.agent.state}: writing them again`)
    sync(l, step)
  }

  function startAgent(l: Live, step: number): Desired {
    const { readyAt, drain } = l.record
    l.agentBackAt = undefined
    l.turn = undefined
    // A restarted agent starts from boot.json (SPEC §1.10): ready if the instance served, draining if a drain was begun.
    l.agent = drain
      ? { state: 'draining', revision: l.runs, ...(readyAt === undefined ? {} : { readyAt }) }
      : readyAt !== undefined
        ? { state: 'ready', revision: l.runs, readyAt }
        : { state: 'booting' }
    // A first boot writes its booting tag; a restarted agent writes nothing until it reconciles.
    if (l.lifecycleState === 'Pending:Wait' && l.tags.state === undefined) sync(l, step)
    if (drain) {
      // agent.ts `#resumedDrain`: no termination under way (a leaving instance's agent never comes
      // back), so the drain is forgotten and the instance boots again with its ready-at.
      l.record = { ...l.record, drain: false }
      transition(l, 'booting', step, { restore: true })
    }
    return l.agent
  }

  function restartAgent(l: Live, step: number, why: string): void {
    note(`${l.id} agent restarted ${why}`)
    l.agent = undefined
    l.turn = undefined
    l.agentBackAt = step + 1 + chancePick(0, 1)
  }

  /** Restarts and reboots before `until`; agents coming back. */
  function disturb(l: Live, step: number, down: boolean, troubled: boolean): void {
    if (!chaos) return
    if (l.agent === undefined && l.agentBackAt !== undefined && l.agentBackAt <= step) {
      if (l.rebooting) {
        l.rebooting = false
        l.containers = 'starting'
        l.readyAtStep = step + chancePick(config.bootSteps.min, config.bootSteps.max)
        l.hostBroken = chance() < (chaos.brokenAfterReboot ?? 0)
        note(`${l.id} host back up${l.hostBroken ? '; its containers will crash-loop for good' : ''}`)
      }
      note(`${l.id} agent started again as ${startAgent(l, step).state}`)
      return
    }
    if (!troubled || l.agent === undefined) return
    if (chance() < chaos.restartChance) {
      restartAgent(l, step, 'with the host up')
      return
    }
    if (l.lifecycleState === 'InService' && l.record.readyAt !== undefined && l.health === 'Healthy' && !down && chance() < chaos.rebootChance) {
      // SIGTERM with the host going down: a drain (tagged draining, containers stopped), not a termination.
      note(`${l.id} host reboots`)
      l.record = { ...l.record, drain: true }
      transition(l, 'draining', step)
      l.containers = 'stopped'
      l.readyAtStep = undefined
      l.rebooting = true
      l.putBack = true
      l.agent = undefined
      l.turn = undefined
      l.agentBackAt = step + 1 + chancePick(1, 2)
    }
  }

  /** The agent reacting to its containers (agent.ts `#onSupervisorState`). */
  function supervise(l: Live, step: number, now: number): void {
    const agent = l.agent
    if (agent === undefined || leaving(l)) return
    switch (l.containers) {
      case 'healthy':
        if (agent.state === 'booting') {
          // boot.json first, then the lifecycle: a restarted agent must know this instance served.
          // A drain put back keeps the ready-at it had.
          const readyAt = l.record.readyAt ?? now
          l.record = { ...l.record, readyAt }
          l.agent = { ...agent, revision: l.runs }
          transition(l, 'ready', step, { readyAt })
        } else if (agent.state === 'degraded') transition(l, 'ready', step)
        // Healthy and ready again: a rebooted host is back in service.
        if (l.agent?.state === 'ready') l.putBack = false
        return
      case 'crash-loop':
        // Before it ever served, a crash loop is a failed boot; after, the instance is degraded
        // and waits for its turn (a drain put back too: from booting).
        if (l.record.readyAt === undefined) failBoot(l, step)
        else transition(l, 'degraded', step)
        return
      case 'broken':
        failBoot(l, step)
        return
      default:
        return
    }
  }

  function failBoot(l: Live, step: number): void {
    if (l.agent?.state === 'failed' || !transition(l, 'failed', step)) return
    l.lifecycleState = 'InService'
    l.health = 'Unhealthy'
    l.unhealthySince = step
  }

  function leave(l: Live, step: number, slotOf: string | undefined): void {
    l.lifecycleState = 'Terminating:Wait'
    // A failed instance keeps failed while it drains (the table refuses the change).
    transition(l, 'draining', step)
    l.leaveAtStep = step + 1 + config.drainSteps
    launches.push({ at: step + 1 + config.launchLag, slotOf })
  }

  function initialInstance(init: InitialInstance, id: string): Live {
    const base = {
      id,
      launchTime: START - init.launchedStepsAgo * STEP_MS,
      health: 'Healthy' as InstanceHealth,
      write: undefined,
      readyAtStep: undefined,
      fails: false,
      unhealthySince: undefined,
      leaveAtStep: undefined,
      slotOf: undefined,
      agentBackAt: undefined,
      rebooting: false,
      putBack: false,
      turn: undefined,
      hostBroken: false,
    }
    const ready = (runs: string, readyAt: number | undefined): Live => {
      const state: Desired = { state: 'ready', revision: runs, ...(readyAt === undefined ? {} : { readyAt }) }
      return { ...base, runs, lifecycleState: 'InService', tags: state, agent: state, record: { ...(readyAt === undefined ? {} : { readyAt }), drain: false }, containers: 'healthy' }
    }
    const booting = (runs: string): Live => ({
      ...base,
      runs,
      lifecycleState: 'Pending:Wait',
      tags: { state: 'booting' },
      agent: { state: 'booting' },
      record: { drain: false },
      containers: 'starting',
      readyAtStep: init.readyAfter,
    })
    switch (init.kind) {
      case 'serving-old':
        return ready(OLD, START - 3_600_000)
      case 'serving-new':
        return ready(NEW, START - 3_600_000)
      case 'unwarmed-old':
        return ready(OLD, START - STEP_MS)
      case 'no-ready-at-old':
        return ready(OLD, undefined)
      case 'booting-old':
        return booting(OLD)
      case 'booting-new':
        return booting(NEW)
      case 'failed-old':
        return { ...ready(OLD, undefined), tags: { state: 'failed' }, agent: { state: 'failed' }, containers: 'broken', health: 'Unhealthy', unhealthySince: 0 }
    }
  }
}

function sameTags(a: Tags, b: Tags): boolean {
  return a.state === b.state && a.revision === b.revision && a.readyAt === b.readyAt
}

function leaving(l: Live): boolean {
  return l.leaveAtStep !== undefined
}

function toView(l: Live): InstanceView {
  return {
    id: l.id,
    launchTime: l.launchTime,
    lifecycleState: l.lifecycleState,
    health: l.health,
    ...(l.tags.state === undefined ? {} : { state: l.tags.state }),
    ...(l.tags.revision === undefined ? {} : { revision: l.tags.revision }),
    ...(l.tags.readyAt === undefined ? {} : { readyAt: l.tags.readyAt }),
  }
}

/** The instance as its agent knows itself, or as its next agent will (from boot.json) while none runs. */
function toTruth(l: Live): InstanceView {
  const state = l.agent?.state ?? (l.record.drain ? 'draining' : l.record.readyAt !== undefined ? 'ready' : l.tags.state)
  return { ...toView(l), ...(state === undefined ? {} : { state }) }
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
