import { DeckhandError } from '../../core/errors.js'
import type { ParameterSource, ParameterValue } from '../../ports/parameters.js'

/** `deckhand up` has no SSM: a manifest that references parameters says so, with the fix. */
export class NoParameters implements ParameterSource {
  async read(names: readonly string[]): Promise<ReadonlyMap<string, ParameterValue>> {
    if (names.length === 0) return new Map()
    throw new DeckhandError(
      'PARAMETER_UNAVAILABLE',
      `The manifest reads SSM parameter ${names[0]}${names.length > 1 ? ` (and ${names.length - 1} more)` : ''}, which deckhand up cannot read without AWS; replace { ssm: ... } with a plain value to run it locally.`,
    )
  }
}
