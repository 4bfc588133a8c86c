/** SSM parameters referenced by the manifest as `{ ssm: name }`. */
export interface ParameterValue {
  readonly value: string
  readonly version: number
}

export interface ParameterSource {
  /** Throws PARAMETER_UNAVAILABLE naming the missing parameter. */
  read(names: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, ParameterValue>>
}
