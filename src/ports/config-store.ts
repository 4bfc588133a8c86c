import type { ParameterSource } from './parameters.js'

/** SSM Parameter Store, as SPEC §2 lays it out under /deckhand/<service>/. */
export interface VersionedValue {
  readonly value: string
  readonly version: number
}

export interface ServiceConfig {
  readonly manifest: VersionedValue
  /** `/deckhand/<service>/version`; undefined when the parameter does not exist. */
  readonly release?: VersionedValue
}

export interface ConfigStore extends ParameterSource {
  /** Throws SERVICE_UNKNOWN when /deckhand/<service>/manifest does not exist. */
  load(service: string, signal?: AbortSignal): Promise<ServiceConfig>
  /**
   * The current Version of each named parameter, with as few calls as GetParameters allows
   * (10 names each), never their values; a parameter that does not exist is absent.
   */
  versions(names: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, number>>
  /** `deckhand release`: writes /deckhand/<service>/version. */
  putVersion(service: string, version: string, signal?: AbortSignal): Promise<number>
}

export const manifestParameter = (service: string) => `/deckhand/${service}/manifest`
export const versionParameter = (service: string) => `/deckhand/${service}/version`
