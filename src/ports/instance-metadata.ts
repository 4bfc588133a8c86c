/** IMDSv2, in deckhand's words (SPEC §1.1). Every call may throw AWS_UNAVAILABLE (retryable). */
export interface InstanceIdentity {
  readonly instanceId: string
  readonly region: string
  readonly availabilityZone: string
  readonly instanceType: string
  readonly imageId: string
  readonly privateIp: string
}

export interface SpotInterruption {
  readonly action: string
  /** Epoch ms when AWS will act. */
  readonly time: number
}

export interface InstanceMetadata {
  identity(signal?: AbortSignal): Promise<InstanceIdentity>
  /** An instance tag through IMDS; undefined when tags in metadata are off or the key is absent. */
  instanceTag(key: string, signal?: AbortSignal): Promise<string | undefined>
  /**
   * The instance's tags whose keys start with `prefix`, through IMDS (free of any API bucket);
   * undefined when tags in metadata are off.
   */
  instanceTags(prefix: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>> | undefined>
  /** `autoscaling/target-lifecycle-state`; undefined while IMDS answers 404 (before the first transition). */
  targetLifecycleState(signal?: AbortSignal): Promise<string | undefined>
  /** `spot/instance-action`; undefined when no interruption is scheduled. */
  spotInterruption(signal?: AbortSignal): Promise<SpotInterruption | undefined>
}
