import type { EmulatorClock } from '../clock.js'
import type { EventFeed } from '../events.js'
import { newInstanceId, newReservationId } from '../ids.js'
import { ApiError } from './api-error.js'
import { matchesAny, type Filter } from './filters.js'

export type Ec2State = 'pending' | 'running' | 'shutting-down' | 'terminated'

export const EC2_STATE_CODES: Readonly<Record<Ec2State, number>> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 }

export interface SpotInstanceAction {
  readonly action: 'terminate' | 'stop' | 'hibernate'
  /** RFC 3339 UTC without fractional seconds, as IMDS prints it. */
  readonly time: string
}

/** One EC2 instance: what DescribeInstances and the instance's own IMDS report. */
export interface Ec2Instance {
  readonly instanceId: string
  readonly reservationId: string
  readonly availabilityZone: string
  readonly instanceType: string
  readonly imageId: string
  readonly privateIp: string
  readonly launchTime: number
  readonly launchTemplate: { readonly id: string; readonly name: string; readonly version: number } | undefined
  /** Whether the instance's metadata options allow tags in IMDS (InstanceMetadataTags=enabled). */
  readonly metadataTags: boolean
  readonly tags: Map<string, string>
  state: Ec2State
  /** IMDS autoscaling/target-lifecycle-state; undefined (404) until the first transition. */
  targetLifecycleState: string | undefined
  spotInstanceAction: SpotInstanceAction | undefined
  /** Where this instance's own metadata service listens, once it is up. */
  imdsEndpoint: string | undefined
}

export interface LaunchSpec {
  readonly availabilityZone: string
  readonly instanceType: string
  readonly imageId: string
  readonly launchTemplate?: Ec2Instance['launchTemplate']
  readonly metadataTags: boolean
  readonly tags: ReadonlyMap<string, string>
}

export interface TagDescription {
  readonly resourceId: string
  readonly resourceType: 'instance'
  readonly key: string
  readonly value: string
}

const MAX_TAGS = 50
const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/

/**
 * EC2 instances and their tags. Terminated instances stay visible, as they do in EC2 for about an
 * hour, so a test can still read what an instance tagged itself before it died.
 */
export class Ec2Instances {
  readonly #instances = new Map<string, Ec2Instance>()
  #nextAddress = 10

  constructor(private readonly context: { readonly clock: EmulatorClock; readonly events: EventFeed }) {}

  launch(spec: LaunchSpec): Ec2Instance {
    const n = this.#nextAddress++
    const instance: Ec2Instance = {
      instanceId: newInstanceId(),
      reservationId: newReservationId(),
      availabilityZone: spec.availabilityZone,
      instanceType: spec.instanceType,
      imageId: spec.imageId,
      // Only data: nothing ever connects to this address.
      privateIp: `10.0.${Math.floor(n / 250) % 256}.${(n % 250) + 4}`,
      launchTime: this.context.clock.now(),
      launchTemplate: spec.launchTemplate,
      metadataTags: spec.metadataTags,
      tags: new Map(spec.tags),
      state: 'pending',
      targetLifecycleState: undefined,
      spotInstanceAction: undefined,
      imdsEndpoint: undefined,
    }
    this.#instances.set(instance.instanceId, instance)
    return instance
  }

  get(instanceId: string): Ec2Instance | undefined {
    return this.#instances.get(instanceId)
  }

  require(instanceId: string): Ec2Instance {
    if (!INSTANCE_ID.test(instanceId)) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${instanceId}"`)
    const instance = this.#instances.get(instanceId)
    if (!instance) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`)
    return instance
  }

  all(): Ec2Instance[] {
    return [...this.#instances.values()]
  }

  setState(instance: Ec2Instance, state: Ec2State): void {
    if (instance.state === state) return
    instance.state = state
    this.context.events.emit({ type: 'instance-state', instanceId: instance.instanceId, state })
  }

  describe(input: { instanceIds: readonly string[]; filters: readonly Filter[]; maxResults?: number | undefined; nextToken?: string | undefined }): {
    instances: Ec2Instance[]
    nextToken: string | undefined
  } {
    if (input.instanceIds.length > 0 && input.maxResults !== undefined) {
      throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults')
    }
    if (input.maxResults !== undefined && (input.maxResults < 5 || input.maxResults > 1000)) {
      throw new ApiError('InvalidParameterValue', `Value ( ${input.maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`)
    }
    const predicates = input.filters.map(instanceFilter)
    let selected: Ec2Instance[]
    if (input.instanceIds.length > 0) {
      for (const id of input.instanceIds) if (!INSTANCE_ID.test(id)) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`)
      const missing = input.instanceIds.filter((id) => !this.#instances.has(id))
      if (missing.length === 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`)
      if (missing.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`)
      selected = [...new Set(input.instanceIds)].map((id) => this.require(id))
    } else {
      selected = this.all()
    }
    selected = selected.filter((instance) => predicates.every((p) => p(instance)))
    const start = input.nextToken === undefined ? 0 : decodeOffset(input.nextToken)
    const end = input.maxResults === undefined ? selected.length : start + input.maxResults
    return {
      instances: selected.slice(start, end),
      nextToken: end < selected.length ? Buffer.from(String(end)).toString('base64') : undefined,
    }
  }

  createTags(resourceIds: readonly string[], tags: readonly { key: string; value: string }[]): void {
    const instances = resourceIds.map((id) => this.#taggable(id))
    for (const { key, value } of tags) {
      validateTagKey(key)
      if (value.length > 256) throw new ApiError('InvalidParameterValue', `Tag value exceeds the maximum length of 256 characters`)
    }
    for (const instance of instances) {
      const keys = new Set([...instance.tags.keys(), ...tags.map((t) => t.key)])
      if (keys.size > MAX_TAGS) throw new ApiError('TagLimitExceeded', `The maximum number of Tags for a resource has been reached.`)
    }
    for (const instance of instances) {
      for (const { key, value } of tags) instance.tags.set(key, value)
      this.context.events.emit({ type: 'tags', resourceId: instance.instanceId })
    }
  }

  /** A tag with a value is deleted only if the value matches; no tags at all means every user tag. */
  deleteTags(resourceIds: readonly string[], tags: readonly { key: string; value?: string | undefined }[]): void {
    const instances = resourceIds.map((id) => this.#taggable(id))
    for (const { key } of tags) if (key.toLowerCase().startsWith('aws:')) throw reservedKey()
    for (const instance of instances) {
      if (tags.length === 0) {
        for (const key of [...instance.tags.keys()]) if (!key.startsWith('aws:')) instance.tags.delete(key)
      }
      for (const { key, value } of tags) {
        if (value === undefined || instance.tags.get(key) === value) instance.tags.delete(key)
      }
      this.context.events.emit({ type: 'tags', resourceId: instance.instanceId })
    }
  }

  describeTags(filters: readonly Filter[]): TagDescription[] {
    const all = this.all().flatMap((instance) =>
      [...instance.tags].map(([key, value]): TagDescription => ({ resourceId: instance.instanceId, resourceType: 'instance', key, value })))
    return all.filter((tag) => filters.every((filter) => {
      switch (filter.name) {
        case 'resource-id': return matchesAny(filter.values, tag.resourceId)
        case 'resource-type': return matchesAny(filter.values, tag.resourceType)
        case 'key': return matchesAny(filter.values, tag.key)
        case 'value': return matchesAny(filter.values, tag.value)
        default: throw new ApiError('InvalidParameterValue', `The filter '${filter.name}' is invalid`)
      }
    }))
  }

  #taggable(resourceId: string): Ec2Instance {
    if (!resourceId.startsWith('i-')) throw new ApiError('InvalidID', `The ID '${resourceId}' is not valid`)
    return this.require(resourceId)
  }
}

function validateTagKey(key: string): void {
  if (key.length === 0 || key.length > 128) throw new ApiError('InvalidParameterValue', `Tag key must be between 1 and 128 characters`)
  if (key.toLowerCase().startsWith('aws:')) throw reservedKey()
}

function reservedKey(): ApiError {
  return new ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`)
}

function instanceFilter(filter: Filter): (instance: Ec2Instance) => boolean {
  const { name, values } = filter
  if (name.startsWith('tag:')) {
    const key = name.slice(4)
    return (i) => matchesAny(values, i.tags.get(key))
  }
  const field = INSTANCE_FIELDS[name]
  if (field) return (i) => matchesAny(values, field(i))
  if (name === 'tag-key') return (i) => [...i.tags.keys()].some((k) => matchesAny(values, k))
  if (name === 'tag-value') return (i) => [...i.tags.values()].some((v) => matchesAny(values, v))
  throw new ApiError('InvalidParameterValue', `The filter '${name}' is invalid`)
}

const INSTANCE_FIELDS: Readonly<Record<string, (i: Ec2Instance) => string>> = {
  'instance-id': (i) => i.instanceId,
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => String(EC2_STATE_CODES[i.state]),
  'instance-type': (i) => i.instanceType,
  'image-id': (i) => i.imageId,
  'availability-zone': (i) => i.availabilityZone,
  'placement-availability-zone': (i) => i.availabilityZone,
  'private-ip-address': (i) => i.privateIp,
  'reservation-id': (i) => i.reservationId,
}

function decodeOffset(token: string): number {
  const offset = Number(Buffer.from(token, 'base64').toString('utf8'))
  if (!Number.isInteger(offset) || offset < 0) throw new ApiError('InvalidParameterValue', `Invalid value '${token}' for nextToken`)
  return offset
}
