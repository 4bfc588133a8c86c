/**
 * One view of an Auto Scaling Group, in deckhand's words. The AWS adapter builds it from one
 * DescribeAutoScalingGroups answer (lifecycle state, health, desired capacity, the launch template
 * the group launches now) and one DescribeInstances answer (launch time, image, tags). The rollout
 * gate reads nothing else.
 *
 * The adapter resolves `$Latest` and `$Default` to a concrete version number before it builds the
 * view, and it leaves out any instance whose lifecycle state or health it cannot parse: an instance
 * missing from the view never counts as serving, which only makes the gate more careful.
 */

/** The instance's lifecycle state, in the Auto Scaling API's own strings. */
export type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'Quarantined'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'Detaching'
  | 'Detached'
  | 'EnteringStandby'
  | 'Standby'
  | 'Warmed:Pending'
  | 'Warmed:Pending:Wait'
  | 'Warmed:Pending:Proceed'
  | 'Warmed:Terminating'
  | 'Warmed:Terminating:Wait'
  | 'Warmed:Terminating:Proceed'
  | 'Warmed:Terminated'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated'

export const LIFECYCLE_STATES: readonly LifecycleState[] = [
  'Pending',
  'Pending:Wait',
  'Pending:Proceed',
  'Quarantined',
  'InService',
  'Terminating',
  'Terminating:Wait',
  'Terminating:Proceed',
  'Terminated',
  'Detaching',
  'Detached',
  'EnteringStandby',
  'Standby',
  'Warmed:Pending',
  'Warmed:Pending:Wait',
  'Warmed:Pending:Proceed',
  'Warmed:Terminating',
  'Warmed:Terminating:Wait',
  'Warmed:Terminating:Proceed',
  'Warmed:Terminated',
  'Warmed:Stopped',
  'Warmed:Running',
  'Warmed:Hibernated',
]

/** The group's health status of the instance (the API's `HealthStatus`). */
export type InstanceHealth = 'Healthy' | 'Unhealthy'

import { TAG_STATES, type TagState } from '../instance-state.js'

/** The `deckhand:state` tag (SPEC §6), in the one vocabulary of core/instance-state.ts. */
export { TAG_STATES, type TagState } from '../instance-state.js'

export const TAG_STATE = 'deckhand:state'
export const TAG_REVISION = 'deckhand:revision'
export const TAG_READY_AT = 'deckhand:ready-at'
export const TAG_REASON = 'deckhand:reason'

/** A launch template version, concrete (never `$Latest` or `$Default`). */
export interface LaunchTemplateRef {
  readonly id: string
  readonly version: string
}

export interface InstanceView {
  readonly id: string
  /** Epoch ms. */
  readonly launchTime: number
  readonly lifecycleState: LifecycleState
  readonly health: InstanceHealth
  /** `deckhand:state`; undefined when the tag is missing or holds a value deckhand never writes. */
  readonly state?: TagState
  /** `deckhand:revision`. */
  readonly revision?: string
  /** `deckhand:ready-at`, epoch ms; undefined when missing or not valid RFC 3339. */
  readonly readyAt?: number
  readonly launchTemplate?: LaunchTemplateRef
  readonly imageId?: string
}

export interface GroupView {
  readonly name: string
  readonly desiredCapacity: number
  /** What the group launches now; undefined when it does not say (a launch configuration). */
  readonly currentLaunchTemplate?: LaunchTemplateRef
  /** The AMI the group launches now, when the adapter could resolve it. */
  readonly currentImageId?: string
  readonly instances: readonly InstanceView[]
}

/**
 * The part of the manifest's `rollout` section the gate needs; the parsed `RolloutSpec` fits it.
 * `maxUnavailable` is a count of instances or a share of desired capacity (see
 * `resolveMaxUnavailable` in gate.ts for the rounding).
 */
export interface RolloutPolicy {
  readonly maxUnavailable: number | { readonly percent: number }
  readonly warmupMs: number
}

export function parseLifecycleState(raw: string | undefined): LifecycleState | undefined {
  return LIFECYCLE_STATES.find((state) => state === raw)
}

export function parseHealth(raw: string | undefined): InstanceHealth | undefined {
  return raw === 'Healthy' || raw === 'Unhealthy' ? raw : undefined
}

/** Exact values only: a tag someone typed by hand (`Ready`, `up`) reads as no state at all. */
export function parseTagState(raw: string | undefined): TagState | undefined {
  return TAG_STATES.find((state) => state === raw)
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * RFC 3339 to epoch ms, strictly: `Date.parse` would take `2026-02-30` as March 2nd, and a bad
 * ready-at must read as unknown (not warmed up), never as some other time.
 */
export function parseReadyAt(raw: string | undefined): number | undefined {
  const m = raw === undefined ? null : RFC3339.exec(raw)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction)
  if (new Date(local).getUTCDate() !== day) return undefined
  if (m[8] !== undefined) return local
  const offsetHours = Number(m[10])
  const offsetMinutes = Number(m[11])
  if (offsetHours > 23 || offsetMinutes > 59) return undefined
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000
  return m[9] === '+' ? local - offsetMs : local + offsetMs
}

/**
 * The ready-at tag's value: RFC 3339 UTC with whole seconds, rounded up, so an instance never
 * looks warmed up sooner than it is.
 */
export function formatReadyAt(epochMs: number): string {
  const seconds = Math.ceil(epochMs / 1000) * 1000
  return new Date(seconds).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The deckhand tags of one instance, as the view carries them; absent keys stay absent. */
export function readDeckhandTags(
  tags: Readonly<Record<string, string>>,
): Pick<InstanceView, 'state' | 'revision' | 'readyAt'> {
  const state = parseTagState(tags[TAG_STATE])
  const revision = tags[TAG_REVISION]
  const readyAt = parseReadyAt(tags[TAG_READY_AT])
  return {
    ...(state === undefined ? {} : { state }),
    ...(revision === undefined || revision === '' ? {} : { revision }),
    ...(readyAt === undefined ? {} : { readyAt }),
  }
}
