/**
 * The one vocabulary of an instance's state. The agent's own view (`deckhand status`, metrics)
 * uses all of it; the `deckhand:state` tag (SPEC §6) carries the subset other agents and
 * `deckhand rollout` read. Only `ready` counts as serving.
 */
export const INSTANCE_STATES = ['booting', 'ready', 'degraded', 'crash-loop', 'failed', 'draining', 'stopped'] as const

export type InstanceState = (typeof INSTANCE_STATES)[number]

/** The values of the `deckhand:state` tag. A crash loop is tagged `degraded`; `stopped` is never tagged. */
export const TAG_STATES = ['booting', 'ready', 'degraded', 'draining', 'failed'] as const satisfies readonly InstanceState[]

export type TagState = (typeof TAG_STATES)[number]
