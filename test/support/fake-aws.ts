import { DeckhandError } from '../../src/core/errors.js'
import { readDeckhandTags, type GroupView } from '../../src/core/rollout/group-view.js'
import { manifestParameter, versionParameter, type ConfigStore, type ServiceConfig } from '../../src/ports/config-store.js'
import type { Fleet, GroupInfo, GroupLaunch } from '../../src/ports/fleet.js'
import type { InstanceIdentity, InstanceMetadata, SpotInterruption } from '../../src/ports/instance-metadata.js'
import type { ParameterValue } from '../../src/ports/parameters.js'

/**
 * In-memory SSM, Auto Scaling and IMDS behind the agent's ports, for the agent's unit tests on a
 * manual clock. The wire-level truth is the emulator's (test/support/aws-emulator); these only
 * record calls and answer what a test set.
 */
export class FakeSsm implements ConfigStore {
  readonly parameters = new Map<string, ParameterValue>()
  readonly calls: string[] = []
  down = false
  /** Answers every call as SSM does when the instance role lacks the permission. */
  denied = false

  /** Every version, as `name:version` selectors read them. */
  readonly history = new Map<string, ParameterValue>()

  put(name: string, value: string): void {
    const version = (this.parameters.get(name)?.version ?? 0) + 1
    this.parameters.set(name, { value, version })
    this.history.set(`${name}:${version}`, { value, version })
  }

  async load(service: string): Promise<ServiceConfig> {
    this.check('load')
    const manifest = this.parameters.get(manifestParameter(service))
    if (!manifest) throw new DeckhandError('SERVICE_UNKNOWN', `SSM parameter ${manifestParameter(service)} does not exist.`)
    const release = this.parameters.get(versionParameter(service))
    return { manifest, ...(release ? { release } : {}) }
  }

  async read(names: readonly string[]): Promise<ReadonlyMap<string, ParameterValue>> {
    this.check('read')
    const out = new Map<string, ParameterValue>()
    for (const name of names) {
      const [base = name, selector] = name.split(':')
      const current = this.parameters.get(base)
      const found = selector === undefined ? current : this.history.get(`${base}:${selector}`)
      if (!found) throw new DeckhandError('PARAMETER_UNAVAILABLE', `SSM parameter ${name} does not exist.`)
      out.set(name, found)
    }
    return out
  }

  async versions(names: readonly string[]): Promise<ReadonlyMap<string, number>> {
    this.check('versions')
    return new Map(names.flatMap((name) => {
      const found = this.parameters.get(name)
      return found ? [[name, found.version] as const] : []
    }))
  }

  async putVersion(service: string, version: string): Promise<number> {
    this.put(versionParameter(service), version)
    return this.parameters.get(versionParameter(service))?.version ?? 0
  }

  private check(call: string): void {
    this.calls.push(call)
    if (this.denied) {
      throw new DeckhandError(
        'AWS_UNAVAILABLE',
        'The instance role is not allowed to call ssm:GetParameters (AccessDeniedException: not authorized); add ssm:GetParameters to the instance role\'s policy.',
        { retryable: false },
      )
    }
    if (this.down) throw new DeckhandError('AWS_UNAVAILABLE', 'SSM throttled the request (ThrottlingException).', { retryable: true })
  }
}

export class FakeFleet implements Fleet {
  readonly calls: string[] = []
  readonly tags = new Map<string, Record<string, string>>()
  info: GroupInfo = { name: 'web-asg', tags: {}, desiredCapacity: 1, hooks: { launching: ['launch'], terminating: ['terminate'] } }
  /** Other instances of the group, as the view shows them. */
  others: GroupView['instances'] = []
  lifecycle = 'InService'

  constructor(private readonly self: string) {}

  async groupOf(): Promise<string | undefined> {
    return this.info.name
  }

  /** The next this many group() calls fail as a throttled Auto Scaling API does. */
  groupFailures = 0

  async group(): Promise<GroupInfo> {
    this.calls.push('group')
    if (this.groupFailures > 0) {
      this.groupFailures--
      throw new DeckhandError('AWS_UNAVAILABLE', 'AWS throttled autoscaling:DescribeAutoScalingGroups (Throttling); deckhand backs off and tries again.', { retryable: true })
    }
    return this.info
  }

  async launch(): Promise<GroupLaunch> {
    this.calls.push('launch')
    const { desiredCapacity, launchTemplate, imageId } = this.info
    return { desiredCapacity, ...(launchTemplate ? { launchTemplate } : {}), ...(imageId ? { imageId } : {}) }
  }

  async view(): Promise<GroupView> {
    this.calls.push('view')
    const tags = this.tags.get(this.self) ?? {}
    return {
      name: this.info.name,
      desiredCapacity: this.info.desiredCapacity,
      ...(this.info.launchTemplate ? { currentLaunchTemplate: this.info.launchTemplate } : {}),
      instances: [{ id: this.self, launchTime: 0, lifecycleState: 'InService', health: this.health, ...readDeckhandTags(tags) }, ...this.others],
    }
  }

  async lifecycleState(): Promise<string | undefined> {
    return this.lifecycle
  }

  async tagInstance(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    if (this.tagFailures > 0) {
      this.tagFailures--
      this.calls.push('tag throttled')
      throw new DeckhandError('AWS_UNAVAILABLE', 'AWS throttled ec2:CreateTags (RequestLimitExceeded); deckhand backs off and tries again.', { retryable: true })
    }
    this.calls.push(`tag ${Object.entries(tags).map(([k, v]) => `${k}=${k === 'deckhand:ready-at' ? '<time>' : v}`).join(',')}`)
    this.tags.set(instanceId, { ...this.tags.get(instanceId), ...tags })
  }

  /** When set, CompleteLifecycleAction answers as AWS does once the action timed out or was completed. */
  noActiveAction = false

  async untagInstance(instanceId: string, keys: readonly string[]): Promise<void> {
    this.calls.push(`untag ${keys.join(',')}`)
    const tags = { ...this.tags.get(instanceId) }
    for (const key of keys) delete tags[key]
    this.tags.set(instanceId, tags)
  }

  async instanceTags(instanceId: string): Promise<Readonly<Record<string, string>>> {
    this.calls.push('instance tags')
    return { ...this.tags.get(instanceId) }
  }

  /** When set, CreateTags fails as a throttled EC2 does this many more times. */
  tagFailures = 0

  async completeLifecycleAction(_group: string, hook: string, _id: string, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
    if (this.noActiveAction) {
      this.calls.push(`complete ${hook} ${result} refused`)
      throw new DeckhandError('AWS_UNAVAILABLE', `No active Lifecycle Action found with instance ID i-0123.`, { retryable: false })
    }
    this.calls.push(`complete ${hook} ${result}`)
  }

  async recordHeartbeat(_group: string, hook: string): Promise<void> {
    this.calls.push(`heartbeat ${hook}`)
  }

  async setUnhealthy(): Promise<void> {
    this.calls.push('unhealthy')
    this.health = 'Unhealthy'
  }

  health: 'Healthy' | 'Unhealthy' = 'Healthy'

  async terminate(): Promise<void> {
    this.calls.push('terminate')
    this.lifecycle = 'Terminating:Wait'
  }
}

export class FakeMetadata implements InstanceMetadata {
  target: string | undefined
  spot: SpotInterruption | undefined
  /** The instance's tags as IMDS serves them; undefined when tags in metadata are off. */
  tags: (() => Readonly<Record<string, string>>) | undefined

  constructor(readonly id: InstanceIdentity) {}

  async identity(): Promise<InstanceIdentity> {
    return this.id
  }

  async instanceTag(key: string): Promise<string | undefined> {
    return key === 'aws:autoscaling:groupName' ? 'web-asg' : undefined
  }

  async instanceTags(prefix: string): Promise<Readonly<Record<string, string>> | undefined> {
    const tags = this.tags?.()
    return tags === undefined ? undefined : Object.fromEntries(Object.entries(tags).filter(([key]) => key.startsWith(prefix)))
  }

  async targetLifecycleState(): Promise<string | undefined> {
    return this.target
  }

  async spotInterruption(): Promise<SpotInterruption | undefined> {
    return this.spot
  }
}

/** The host as a test says it is: going down, or staying up while the agent alone stops. */
export class FakeHostShutdown {
  stopping = false

  async isShuttingDown(): Promise<boolean> {
    return this.stopping
  }
}
