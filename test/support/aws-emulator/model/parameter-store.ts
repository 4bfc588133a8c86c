import { createHash } from 'node:crypto'
import type { EmulatorClock } from '../clock.js'
import type { EventFeed } from '../events.js'
import { ApiError } from './api-error.js'

export type ParameterType = 'String' | 'StringList' | 'SecureString'
export type ParameterTier = 'Standard' | 'Advanced'

/** One parameter as GetParameter* would return it (the value already decrypted or not). */
export interface ParameterView {
  readonly name: string
  readonly type: ParameterType
  readonly value: string
  readonly version: number
  readonly lastModifiedDate: Date
  readonly arn: string
  readonly dataType: 'text'
  readonly selector: string | undefined
}

export interface PutParameterInput {
  readonly name: string
  readonly value: string
  readonly type?: ParameterType | undefined
  readonly overwrite?: boolean | undefined
  readonly tier?: string | undefined
}

interface StoredVersion {
  readonly type: ParameterType
  readonly value: string
  readonly version: number
  readonly modifiedAt: number
  readonly tier: ParameterTier
}

const MAX_HISTORY = 100
const MAX_VALUE = { Standard: 4096, Advanced: 8192 } as const
const MAX_PAGE = 10

/**
 * SSM Parameter Store for one account and region: versions that grow by one on each overwrite, a
 * history so `name:version` selectors work, and SecureString values that come back as opaque
 * ciphertext unless decryption is asked for.
 */
export class ParameterStore {
  readonly #parameters = new Map<string, StoredVersion[]>()

  constructor(
    private readonly context: { readonly clock: EmulatorClock; readonly events: EventFeed; readonly region: string; readonly accountId: string },
  ) {}

  put(input: PutParameterInput): { version: number; tier: ParameterTier } {
    validateName(input.name)
    const tier = parseTier(input.tier)
    if (input.value.length === 0) throw validation(`Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1`)
    if (input.value.length > MAX_VALUE[tier]) {
      throw new ApiError('ValidationException', tier === 'Standard'
        ? `Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`
        : `Advanced tier parameters support a maximum parameter value of 8192 characters.`)
    }
    const history = this.#parameters.get(input.name)
    const latest = history?.at(-1)
    if (latest && !input.overwrite) {
      throw new ApiError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.')
    }
    const type = input.type ?? latest?.type
    if (!type) throw validation(`A parameter type is required when you create a parameter.`)
    if (!['String', 'StringList', 'SecureString'].includes(type)) {
      throw validation(`Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`)
    }
    const version = (latest?.version ?? 0) + 1
    const next = [...(history ?? []), { type, value: input.value, version, modifiedAt: this.context.clock.now(), tier }].slice(-MAX_HISTORY)
    this.#parameters.set(input.name, next)
    this.context.events.emit({ type: 'parameter', name: input.name, version })
    return { version, tier }
  }

  /** `name` may carry a version selector, `name:3`, as the real API allows. */
  get(name: string, withDecryption: boolean): ParameterView {
    const { base, version } = splitSelector(name)
    const history = this.#parameters.get(base)
    if (!history) throw new ApiError('ParameterNotFound', `Parameter ${base} not found.`)
    const stored = version === undefined ? history.at(-1) : history.find((v) => v.version === version)
    if (!stored) throw new ApiError('ParameterVersionNotFound', `Systems Manager could not find version ${version} of ${base}. Verify the version and try again.`)
    return this.#view(base, stored, withDecryption, version === undefined ? undefined : `:${version}`)
  }

  getMany(names: readonly string[], withDecryption: boolean): { parameters: ParameterView[]; invalid: string[] } {
    if (names.length === 0) throw validation(`Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1`)
    if (names.length > MAX_PAGE) {
      throw validation(`Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAGE}`)
    }
    const parameters: ParameterView[] = []
    const invalid: string[] = []
    for (const name of new Set(names)) {
      try {
        parameters.push(this.get(name, withDecryption))
      } catch (error) {
        if (!(error instanceof ApiError) || !error.code.startsWith('Parameter')) throw error
        invalid.push(name)
      }
    }
    return { parameters, invalid }
  }

  /**
   * Pages are in name order and the token names the last parameter returned, so a parameter
   * written between two pages is neither skipped twice nor returned twice.
   */
  byPath(
    path: string,
    options: { recursive?: boolean | undefined; withDecryption?: boolean | undefined; maxResults?: number | undefined; nextToken?: string | undefined },
  ): { parameters: ParameterView[]; nextToken: string | undefined } {
    if (!path.startsWith('/')) {
      throw validation(`The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/" if it's hierarchical, and it can't begin with "aws" or "ssm" (case-insensitive).`)
    }
    const maxResults = options.maxResults ?? MAX_PAGE
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_PAGE) {
      throw validation(`Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`)
    }
    const after = options.nextToken === undefined ? undefined : decodeToken(options.nextToken)
    const prefix = path === '/' ? '/' : `${path.replace(/\/+$/, '')}/`
    const matching = [...this.#parameters.keys()]
      .filter((name) => name.startsWith(prefix) && (options.recursive || !name.slice(prefix.length).includes('/')))
      .sort()
      .filter((name) => after === undefined || name > after)
    const page = matching.slice(0, maxResults)
    const last = page.at(-1)
    return {
      parameters: page.map((name) => this.get(name, options.withDecryption ?? false)),
      nextToken: matching.length > maxResults && last !== undefined ? Buffer.from(JSON.stringify({ after: last })).toString('base64') : undefined,
    }
  }

  delete(name: string): void {
    if (!this.#parameters.delete(name)) throw new ApiError('ParameterNotFound', `Parameter ${name} not found.`)
    this.context.events.emit({ type: 'parameter', name, version: undefined })
  }

  /** For tests: every parameter's latest version, decrypted. */
  list(): ParameterView[] {
    return [...this.#parameters.keys()].sort().map((name) => this.get(name, true))
  }

  #view(name: string, stored: StoredVersion, withDecryption: boolean, selector: string | undefined): ParameterView {
    const encrypted = stored.type === 'SecureString' && !withDecryption
    return {
      name,
      type: stored.type,
      value: encrypted ? fakeCiphertext(name, stored.version) : stored.value,
      version: stored.version,
      lastModifiedDate: new Date(stored.modifiedAt),
      arn: `arn:aws:ssm:${this.context.region}:${this.context.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
      dataType: 'text',
      selector,
    }
  }
}

function validation(message: string): ApiError {
  return new ApiError('ValidationException', message.startsWith('Value') ? `1 validation error detected: ${message}` : message)
}

function validateName(name: string): void {
  if (name.length === 0 || name.length > 2048) throw validation(`Value '${name}' at 'name' failed to satisfy constraint: Member must have length between 1 and 2048`)
  if ((name.includes('/') && !name.startsWith('/')) || /^(aws|ssm)/i.test(name) || /^\/(aws|ssm)\//i.test(name) || !/^[a-zA-Z0-9_.\-/]+$/.test(name)) {
    throw validation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it must begin with a forward slash "/", and may only contain letters, numbers and the symbols .-_/`)
  }
}

function parseTier(tier: string | undefined): ParameterTier {
  if (tier === undefined || tier === 'Standard' || tier === 'Intelligent-Tiering') return 'Standard'
  if (tier === 'Advanced') return 'Advanced'
  throw validation(`Value '${tier}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]`)
}

function splitSelector(name: string): { base: string; version: number | undefined } {
  const match = /^(.*):(\d+)$/.exec(name)
  if (!match?.[1] || !match[2]) return { base: name, version: undefined }
  return { base: match[1], version: Number(match[2]) }
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'))
    if (parsed && typeof parsed === 'object' && 'after' in parsed && typeof parsed.after === 'string') return parsed.after
  } catch {
    // fall through: the same answer as for any other token SSM did not issue
  }
  throw new ApiError('InvalidNextToken', 'The specified token isn\'t valid.')
}

/** Looks like KMS output, says nothing about the value, and changes with each version. */
function fakeCiphertext(name: string, version: number): string {
  return `AQICAH${createHash('sha256').update(`${name}#${version}`).digest('base64')}`
}
