import { GetParametersCommand, PutParameterCommand, type Parameter, type SSMClient } from '@aws-sdk/client-ssm'
import { DeckhandError } from '../../core/errors.js'
import { manifestParameter, versionParameter, type ConfigStore, type ServiceConfig, type VersionedValue } from '../../ports/config-store.js'
import type { ParameterValue } from '../../ports/parameters.js'
import { callAws, errorName } from './errors.js'

/** GetParameters takes at most 10 names. */
const BATCH = 10

/**
 * SSM Parameter Store as SPEC §2 lays it out. Values never leave this class except as return
 * values: nothing here logs, and error messages name parameters, never their contents.
 */
export class SsmConfigStore implements ConfigStore {
  readonly #ssm: SSMClient

  constructor(options: { ssm: SSMClient }) {
    this.#ssm = options.ssm
  }

  async load(service: string, signal?: AbortSignal): Promise<ServiceConfig> {
    const manifestName = manifestParameter(service)
    const releaseName = versionParameter(service)
    let found: ReadonlyMap<string, VersionedValue>
    try {
      // Both are String parameters: no decryption, so no kms:Decrypt permission needed.
      found = await this.#get([manifestName, releaseName], false, signal)
    } catch (error) {
      const name = errorName((error as { cause?: unknown }).cause)
      if (name === 'ParameterNotFound') throw serviceUnknown(service, error)
      if (name === 'ValidationException') {
        throw new DeckhandError(
          'SERVICE_UNKNOWN',
          `Service name "${service}" does not make a valid SSM parameter name (${manifestName}); tag the group with deckhand:service=<name>, using letters, digits, ".", "-" and "_".`,
          { cause: error },
        )
      }
      throw error
    }
    const manifest = found.get(manifestName)
    if (manifest === undefined) throw serviceUnknown(service)
    const release = found.get(releaseName)
    return release === undefined ? { manifest } : { manifest, release }
  }

  async read(names: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, ParameterValue>> {
    const unique = [...new Set(names)]
    let found: ReadonlyMap<string, VersionedValue>
    try {
      found = await this.#get(unique, true, signal)
    } catch (error) {
      if (errorName((error as { cause?: unknown }).cause) === 'ParameterNotFound') throw parameterMissing(unique.slice(0, 1), error)
      throw error
    }
    const missing = unique.filter((name) => !found.has(name))
    if (missing.length > 0) throw parameterMissing(missing)
    return found
  }

  async versions(names: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, number>> {
    // No decryption: a SecureString's Version comes back all the same, and its value stays sealed.
    const found = await this.#get([...new Set(names)], false, signal)
    return new Map([...found].map(([name, { version }]) => [name, version]))
  }

  async putVersion(service: string, version: string, signal?: AbortSignal): Promise<number> {
    const name = versionParameter(service)
    const answer = await callAws('ssm:PutParameter', signal, (options) =>
      this.#ssm.send(new PutParameterCommand({ Name: name, Value: version, Type: 'String', Overwrite: true }), options),
    )
    if (answer.Version === undefined) throw new DeckhandError('AWS_UNAVAILABLE', `SSM wrote ${name} but did not say which version it made; run the release again.`, { retryable: true })
    return answer.Version
  }

  /**
   * GetParameters in batches of 10, one after the other: the 40 TPS quota is shared by the
   * whole account, and a manifest references a handful of parameters. Keys are the names asked
   * for, whatever form SSM answers in (a `name:3` selector, an ARN).
   */
  async #get(names: readonly string[], decrypt: boolean, signal: AbortSignal | undefined): Promise<ReadonlyMap<string, VersionedValue>> {
    const found = new Map<string, VersionedValue>()
    for (let start = 0; start < names.length; start += BATCH) {
      const batch = names.slice(start, start + BATCH)
      const answer = await callAws('ssm:GetParameters', signal, (options) =>
        this.#ssm.send(new GetParametersCommand({ Names: batch, WithDecryption: decrypt }), options),
      )
      for (const parameter of answer.Parameters ?? []) {
        const asked = batch.find((name) => answers(parameter, name))
        if (asked === undefined || parameter.Value === undefined || parameter.Version === undefined) continue
        found.set(asked, { value: parameter.Value, version: parameter.Version })
      }
    }
    return found
  }
}

function answers(parameter: Parameter, name: string): boolean {
  return name === parameter.Name || name === `${parameter.Name ?? ''}${parameter.Selector ?? ''}` || name === parameter.ARN
}

function serviceUnknown(service: string, cause?: unknown): DeckhandError {
  return new DeckhandError(
    'SERVICE_UNKNOWN',
    `SSM parameter ${manifestParameter(service)} does not exist; create it (see README) or tag the group with deckhand:service=<name>.`,
    cause === undefined ? {} : { cause },
  )
}

function parameterMissing(missing: readonly string[], cause?: unknown): DeckhandError {
  const [first] = missing
  const more = missing.length > 1 ? ` (and ${missing.slice(1).join(', ')})` : ''
  return new DeckhandError(
    'PARAMETER_UNAVAILABLE',
    `SSM parameter ${first ?? ''}${more}, referenced by the manifest as { ssm: ... }, does not exist; create it with aws ssm put-parameter or remove the reference from the manifest.`,
    cause === undefined ? {} : { cause },
  )
}
