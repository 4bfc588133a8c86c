import { gate, isServing, resolveMaxUnavailable } from '../../../src/core/rollout/gate.js'
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
}

export interface SimResult {
  readonly desired: number
  readonly maxUnavailable: number
  readonly records: readonly StepRecord[]
  /** Every instance left in the group runs r1 and the group serves in full. */
  readonly finished: boolean
}

interface Live {
  readonly id: string
  readonly launchTime: number
  readonly runs: string
  lifecycleState: LifecycleState
  health: InstanceHealth
  state: TagState | undefined
  revision: string | undefined
  readyAt: number | undefined
  readyAtStep: number | undefined
  fails: boolean
  unhealthySince: number | undefined
  leaveAtStep: number | undefined
  slotOf: string | undefined
}

type SlotKind = 'budget' | 'unbudgeted' | 'free'

/** The ASG replaces an Unhealthy instance this many steps after it turned Unhealthy. */
const ASG_HEALTH_DELAY = 2

export function simulate(config: SimConfig): SimResult {
  const random = mulberry32(config.seed)
  const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
  const desired = config.initial.length
  const maxUnavailable = resolveMaxUnavailable(config.policy, desired)
  const ids = shuffle(config.initial.map((_, n) => `i-${String(n).padStart(3, '0')}`), random)
  let live: Live[] = config.initial.map((init, n) => initialInstance(init, ids[n]!))
  const launches: { at: number; slotOf: string | undefined }[] = []
  const slots = new Map<string, SlotKind>()
  const history: GroupView[] = []
  const records: StepRecord[] = []
  let launched = 0

  for (let step = 0; step < config.steps; step++) {
    const now = START + step * STEP_MS

    // The world moves: launches, boots, departures, health replacement.
    for (const launch of launches.filter((l) => l.at <= step)) {
      launched++
      live.push({
        id: `i-r${String(launched).padStart(4, '0')}`,
        launchTime: now,
        runs: NEW,
        lifecycleState: 'Pending',
        health: 'Healthy',
        state: undefined,
        revision: undefined,
        readyAt: undefined,
        readyAtStep: step + pick(config.bootSteps.min, config.bootSteps.max),
        fails: random() < config.failChance,
        unhealthySince: undefined,
        leaveAtStep: undefined,
        slotOf: launch.slotOf,
      })
    }
    launches.splice(0, launches.length, ...launches.filter((l) => l.at > step))
    live = live.filter((l) => l.leaveAtStep === undefined || l.leaveAtStep > step)
    for (const l of live) {
      if (l.lifecycleState === 'Pending' && l.state === undefined && l.launchTime < now) {
        l.lifecycleState = 'Pending:Wait'
        l.state = 'booting'
      }
      // Tagged ready one step, the launch hook completed (InService) the next.
      if (l.lifecycleState === 'Pending:Wait' && l.state === 'ready') l.lifecycleState = 'InService'
      if (l.state === 'booting' && l.readyAtStep !== undefined && l.readyAtStep <= step) {
        l.readyAtStep = undefined
        if (l.fails) {
          l.lifecycleState = 'InService'
          l.state = 'failed'
          l.health = 'Unhealthy'
          l.unhealthySince = step
        } else {
          l.state = 'ready'
          l.revision = l.runs
          l.readyAt = now
        }
      }
      if (l.unhealthySince !== undefined && step - l.unhealthySince >= ASG_HEALTH_DELAY && !leaving(l)) {
        leave(l, step, l.slotOf)
      }
    }

    const view: GroupView = { name: 'sim', desiredCapacity: desired, instances: live.map(toView) }
    history.push(view)

    for (const l of live) {
      if (l.slotOf !== undefined && isServing(toView(l), config.policy, now)) {
        slots.delete(l.slotOf)
        l.slotOf = undefined
      }
    }
    const serving = live.filter((l) => isServing(toView(l), config.policy, now)).length
    const count = (kind: SlotKind) => [...slots.values()].filter((k) => k === kind).length

    // Agents decide, each on its own view; the decisions land together at the end of the step.
    const decided: { l: Live; kind: SlotKind }[] = []
    for (const l of shuffle(live, random)) {
      if (leaving(l) || !(l.lifecycleState === 'InService' || l.lifecycleState.startsWith('Pending'))) continue
      if (random() >= config.checkChance) continue
      const age = pick(0, Math.min(config.staleness, step))
      const seen = history[step - age]!
      const entry = seen.instances.find((i) => i.id === l.id)
      const state = config.selfKnowledge === 'own-state' ? (l.state ?? 'booting') : (entry?.state ?? 'booting')
      const result = gate(seen, { instanceId: l.id, revision: l.runs, desiredRevision: NEW, state }, config.policy, now)
      if (result.decision !== 'terminate') continue
      const kind: SlotKind =
        result.code === 'within-budget' ? 'budget' : isServing(toView(l), config.policy, now) ? 'unbudgeted' : 'free'
      decided.push({ l, kind })
    }
    records.push({
      step,
      unavailable: Math.max(0, desired - serving),
      inFlight: count('budget'),
      unbudgeted: count('unbudgeted'),
      terminations: decided.map((d) => d.l.id).sort(),
    })
    for (const { l, kind } of decided) {
      slots.set(l.id, kind)
      leave(l, step, l.id)
    }

    if (decided.length === 0 && launches.length === 0 && isFinished(live, desired, serving)) break
  }

  const last = records[records.length - 1]
  return {
    desired,
    maxUnavailable,
    records,
    finished: last !== undefined && isFinished(live, desired, desired - last.unavailable),
  }

  function leave(l: Live, step: number, slotOf: string | undefined): void {
    l.lifecycleState = 'Terminating:Wait'
    l.state = 'draining'
    l.leaveAtStep = step + 1 + config.drainSteps
    launches.push({ at: step + 1 + config.launchLag, slotOf })
  }

  function initialInstance(init: InitialInstance, id: string): Live {
    const base = {
      id,
      launchTime: START - init.launchedStepsAgo * STEP_MS,
      health: 'Healthy' as InstanceHealth,
      readyAtStep: undefined,
      fails: false,
      unhealthySince: undefined,
      leaveAtStep: undefined,
      slotOf: undefined,
    }
    const ready = (runs: string, readyAt: number | undefined): Live => ({
      ...base,
      runs,
      lifecycleState: 'InService',
      state: 'ready',
      revision: runs,
      readyAt,
    })
    const booting = (runs: string): Live => ({
      ...base,
      runs,
      lifecycleState: 'Pending:Wait',
      state: 'booting',
      revision: undefined,
      readyAt: undefined,
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
        return { ...ready(OLD, undefined), state: 'failed', revision: undefined, health: 'Unhealthy', unhealthySince: 0 }
    }
  }
}

function isFinished(live: readonly Live[], desired: number, serving: number): boolean {
  return serving >= desired && live.every((l) => leaving(l) || l.runs === NEW)
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
    ...(l.state === undefined ? {} : { state: l.state }),
    ...(l.revision === undefined ? {} : { revision: l.revision }),
    ...(l.readyAt === undefined ? {} : { readyAt: l.readyAt }),
  }
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
