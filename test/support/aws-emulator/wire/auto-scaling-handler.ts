import { ApiError } from '../model/api-error.js'
import type { AutoScalingGroup, GroupMember, LifecycleHook } from '../model/auto-scaling.js'
import type { Filter } from '../model/filters.js'
import type { Region } from '../model/region.js'
import { awsQueryProtocol, type QueryOutput } from './aws-query-protocol.js'
import type { FormParams } from './form-params.js'
import { autoScalingAuthorization } from './authorization.js'
import type { ServiceDefinition } from './http-service.js'
import type { XmlValue } from './xml.js'

const VERSION = '2011-01-01'

/** Auto Scaling over awsQuery: the subset an instance agent and a rollout tool use. */
export function autoScalingService(region: Region): ServiceDefinition<FormParams> {
  const asg = region.autoScaling
  const memberXml = (member: GroupMember): { [element: string]: XmlValue } => ({
    InstanceId: member.instance.instanceId,
    InstanceType: member.instance.instanceType,
    AvailabilityZone: member.instance.availabilityZone,
    LifecycleState: member.lifecycleState,
    HealthStatus: member.healthStatus,
    LaunchTemplate: member.instance.launchTemplate && {
      LaunchTemplateId: member.instance.launchTemplate.id,
      LaunchTemplateName: member.instance.launchTemplate.name,
      Version: asg.reportedVersion(member),
    },
    ProtectedFromScaleIn: false,
  })
  const groupXml = (group: AutoScalingGroup): { [element: string]: XmlValue } => ({
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    LaunchTemplate: { LaunchTemplateId: group.launchTemplate.id, LaunchTemplateName: group.launchTemplate.name, Version: group.launchTemplate.version },
    MinSize: group.min,
    MaxSize: group.max,
    DesiredCapacity: group.desired,
    DefaultCooldown: 300,
    AvailabilityZones: group.availabilityZones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: [...group.members.values()].map(memberXml),
    CreatedTime: new Date(group.createdTime),
    SuspendedProcesses: [],
    EnabledMetrics: [],
    Tags: group.tags.map((t) => ({ ResourceId: group.name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: t.propagateAtLaunch })),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${region.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
  })
  const hookXml = (hook: LifecycleHook): { [element: string]: XmlValue } => ({
    LifecycleHookName: hook.name,
    AutoScalingGroupName: hook.groupName,
    LifecycleTransition: hook.transition,
    NotificationMetadata: hook.notificationMetadata,
    HeartbeatTimeout: hook.heartbeatTimeoutSeconds,
    GlobalTimeout: hook.globalTimeoutSeconds,
    DefaultResult: hook.defaultResult,
  })

  const handlers: Record<string, (p: FormParams) => QueryOutput> = {
    DescribeAutoScalingGroups: (p) => {
      const filters = filtersOf(p)
      const groups = asg.groups(p.list('AutoScalingGroupNames.member')).filter((g) => asg.matchesGroupFilters(g, filters))
      const page = paginate(groups, p, 100)
      return { AutoScalingGroups: page.items.map(groupXml), NextToken: page.nextToken }
    },
    DescribeAutoScalingInstances: (p) => {
      const ids = p.list('InstanceIds.member')
      if (ids.length > 50) throw new ApiError('ValidationError', 'The number of instance ids that may be passed in is limited to 50')
      const page = paginate(asg.instances(ids), p, 50)
      return {
        AutoScalingInstances: page.items.map((m) => ({ ...memberXml(m), AutoScalingGroupName: m.groupName })),
        NextToken: page.nextToken,
      }
    },
    DescribeLifecycleHooks: (p) => ({
      LifecycleHooks: asg.hooks(required(p, 'AutoScalingGroupName'), p.list('LifecycleHookNames.member')).map(hookXml),
    }),
    CompleteLifecycleAction: (p) => {
      asg.completeLifecycleAction({
        groupName: required(p, 'AutoScalingGroupName'),
        hookName: required(p, 'LifecycleHookName'),
        instanceId: p.get('InstanceId'),
        token: p.get('LifecycleActionToken'),
        result: required(p, 'LifecycleActionResult'),
      })
      return {}
    },
    RecordLifecycleActionHeartbeat: (p) => {
      asg.recordHeartbeat({
        groupName: required(p, 'AutoScalingGroupName'),
        hookName: required(p, 'LifecycleHookName'),
        instanceId: p.get('InstanceId'),
        token: p.get('LifecycleActionToken'),
      })
      return {}
    },
    SetInstanceHealth: (p) => {
      asg.setInstanceHealth(required(p, 'InstanceId'), required(p, 'HealthStatus'))
      return undefined
    },
    TerminateInstanceInAutoScalingGroup: (p) => {
      const activity = asg.terminateInstance(required(p, 'InstanceId'), required(p, 'ShouldDecrementDesiredCapacity') === 'true')
      return {
        Activity: {
          ActivityId: activity.activityId,
          AutoScalingGroupName: activity.groupName,
          Description: activity.description,
          Cause: activity.cause,
          StartTime: activity.startTime,
          StatusCode: 'InProgress',
          Progress: 0,
          Details: activity.details,
        },
      }
    },
    SetDesiredCapacity: (p) => {
      asg.setDesiredCapacity(required(p, 'AutoScalingGroupName'), Number(required(p, 'DesiredCapacity')))
      return undefined
    },
    DescribeTags: (p) => {
      const page = paginate(asg.describeTags(filtersOf(p)), p, 100)
      return {
        Tags: page.items.map((t) => ({ ResourceId: t.groupName, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: t.propagateAtLaunch })),
        NextToken: page.nextToken,
      }
    },
    CreateOrUpdateTags: (p) => {
      asg.createOrUpdateTags(p.structs('Tags.member').map((t) => {
        const resourceType = t.get('ResourceType') ?? 'auto-scaling-group'
        if (resourceType !== 'auto-scaling-group') throw new ApiError('ValidationError', `Invalid resource type ${resourceType}; the only valid type is auto-scaling-group`)
        return { groupName: required(t, 'ResourceId'), key: required(t, 'Key'), value: t.get('Value') ?? '', propagateAtLaunch: t.bool('PropagateAtLaunch') ?? false }
      }))
      return undefined
    },
  }
  return { service: 'autoscaling', protocol: awsQueryProtocol({ xmlns: `http://autoscaling.amazonaws.com/doc/${VERSION}/`, version: VERSION }), handlers, authorize: autoScalingAuthorization(region) }
}

function required(p: FormParams, key: string): string {
  const value = p.get(key)
  if (value === undefined) {
    throw new ApiError('ValidationError', `1 validation error detected: Value null at '${key.charAt(0).toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`)
  }
  return value
}

function filtersOf(p: FormParams): Filter[] {
  return p.structs('Filters.member').map((f) => ({ name: required(f, 'Name'), values: f.list('Values.member') }))
}

/** MaxRecords/NextToken over a list; the token is an opaque offset. */
function paginate<T>(items: readonly T[], p: FormParams, maxRecordsLimit: number): { items: readonly T[]; nextToken: string | undefined } {
  const maxRecords = p.int('MaxRecords') ?? maxRecordsLimit
  if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > maxRecordsLimit) {
    throw new ApiError('ValidationError', `1 validation error detected: Value '${maxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${maxRecordsLimit}`)
  }
  const token = p.get('NextToken')
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'))
  if (!Number.isInteger(start) || start < 0) throw new ApiError('InvalidNextToken', 'The token is not valid.')
  const end = start + maxRecords
  return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64') : undefined }
}
