import type { Region } from '../model/region.js'
import { stringField, stringListField, type JsonInput } from './aws-json-protocol.js'
import type { FormParams } from './form-params.js'

/**
 * What IAM would evaluate for one request: the action, the resource ARN, and the condition keys
 * the request and the resource's state carry (request tags, tag keys, resource tags). One API
 * call may be several of these: GetParameters authorises each name, CreateTags each resource.
 * The emulator has no IAM; this is recorded so that tests can evaluate a policy against what
 * callers really did (test/infra/iam-proof). Resource tags are read before the call changes them,
 * as IAM sees them.
 */
export interface Authorization {
  readonly action: string
  readonly resource: string
  readonly context: Readonly<Record<string, string | readonly string[]>>
}

export type Authorize<Input> = (operation: string, input: Input) => readonly Authorization[]

const ANY = '*'

function tagContext(prefixes: readonly string[], tags: Iterable<readonly [string, string]>): Record<string, string> {
  const context: Record<string, string> = {}
  for (const [key, value] of tags) for (const prefix of prefixes) context[`${prefix}/${key}`] = value
  return context
}

function requestTagContext(tags: readonly { key: string; value: string }[]): Record<string, string | readonly string[]> {
  return { ...tagContext(['aws:RequestTag'], tags.map((t) => [t.key, t.value] as const)), 'aws:TagKeys': tags.map((t) => t.key) }
}

export function ssmAuthorization(region: Region): Authorize<JsonInput> {
  const arn = (name: string) => `arn:aws:ssm:${region.name}:${region.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name.replace(/:[^/:]*$/, '')}`
  return (operation, input) => {
    const action = `ssm:${operation}`
    switch (operation) {
      case 'GetParameters':
        return stringListField(input, 'Names').map((name) => ({ action, resource: arn(name), context: {} }))
      case 'GetParametersByPath':
        return [{ action, resource: arn(stringField(input, 'Path') ?? '/'), context: {} }]
      default: {
        const name = stringField(input, 'Name')
        return name === undefined ? [] : [{ action, resource: arn(name), context: {} }]
      }
    }
  }
}

export function autoScalingAuthorization(region: Region): Authorize<FormParams> {
  const asg = region.autoScaling
  const onGroup = (action: string, groupName: string | undefined): Authorization[] => {
    const group = groupName === undefined ? undefined : asg.group(groupName)
    if (!group) return []
    const tags = group.tags.map((t) => [t.key, t.value] as const)
    return [{ action, resource: group.arn, context: tagContext(['autoscaling:ResourceTag', 'aws:ResourceTag'], tags) }]
  }
  return (operation, p) => {
    const action = `autoscaling:${operation}`
    switch (operation) {
      case 'CompleteLifecycleAction':
      case 'RecordLifecycleActionHeartbeat':
      case 'SetDesiredCapacity':
        return onGroup(action, p.get('AutoScalingGroupName'))
      case 'SetInstanceHealth':
      case 'TerminateInstanceInAutoScalingGroup': {
        const instanceId = p.get('InstanceId')
        return onGroup(action, instanceId === undefined ? undefined : asg.membership(instanceId)?.groupName)
      }
      case 'CreateOrUpdateTags': {
        const tags = p.structs('Tags.member')
        return [...new Set(tags.map((t) => t.get('ResourceId') ?? ''))].flatMap((name) =>
          onGroup(action, name).map((a) => ({ ...a, context: { ...a.context, ...requestTagContext(tags.filter((t) => t.get('ResourceId') === name).map((t) => ({ key: t.get('Key') ?? '', value: t.get('Value') ?? '' }))) } })),
        )
      }
      default:
        return [{ action, resource: ANY, context: {} }]
    }
  }
}

export function ec2Authorization(region: Region): Authorize<FormParams> {
  const arn = (id: string) => `arn:aws:ec2:${region.name}:${region.accountId}:instance/${id}`
  return (operation, p) => {
    const action = `ec2:${operation}`
    switch (operation) {
      case 'CreateTags':
      case 'DeleteTags': {
        const tags = p.structs('Tag').map((t) => ({ key: t.get('Key') ?? '', value: t.get('Value') ?? '' }))
        return p.list('ResourceId').map((id) => {
          const current = region.ec2.get(id)?.tags ?? new Map<string, string>()
          return { action, resource: arn(id), context: { ...tagContext(['aws:ResourceTag', 'ec2:ResourceTag'], current), ...requestTagContext(tags) } }
        })
      }
      default:
        return [{ action, resource: ANY, context: {} }]
    }
  }
}

export function ecrAuthorization(): Authorize<JsonInput> {
  return (operation) => [{ action: `ecr:${operation}`, resource: ANY, context: {} }]
}
