import { ApiError } from '../model/api-error.js'
import { EC2_STATE_CODES, type Ec2Instance } from '../model/ec2-instances.js'
import type { Filter } from '../model/filters.js'
import type { LaunchTemplate, LaunchTemplateVersion, TemplateRef } from '../model/launch-templates.js'
import type { Region } from '../model/region.js'
import { ec2QueryProtocol } from './ec2-query-protocol.js'
import type { FormParams } from './form-params.js'
import { ec2Authorization } from './authorization.js'
import type { ServiceDefinition } from './http-service.js'
import type { XmlValue } from './xml.js'

type Ec2Output = { [element: string]: XmlValue } | undefined

/** EC2 over its own query protocol: instances, tags and launch template versions. */
export function ec2Service(region: Region): ServiceDefinition<FormParams> {
  const { ec2, launchTemplates } = region
  const createdBy = `arn:aws:iam::${region.accountId}:root`

  const instanceXml = (instance: Ec2Instance): { [element: string]: XmlValue } => ({
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: { code: EC2_STATE_CODES[instance.state], name: instance.state },
    privateDnsName: `ip-${instance.privateIp.replace(/\./g, '-')}.${region.name}.compute.internal`,
    dnsName: '',
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: new Date(instance.launchTime),
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    privateIpAddress: instance.privateIp,
    groupSet: [],
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    tagSet: [...instance.tags].map(([key, value]) => ({ key, value })),
    metadataOptions: {
      state: 'applied',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      httpEndpoint: 'enabled',
      instanceMetadataTags: instance.metadataTags ? 'enabled' : 'disabled',
    },
  })
  const versionXml = (template: LaunchTemplate, version: LaunchTemplateVersion): { [element: string]: XmlValue } => ({
    launchTemplateId: version.templateId,
    launchTemplateName: version.templateName,
    versionNumber: version.versionNumber,
    versionDescription: version.description,
    createTime: new Date(version.createTime),
    createdBy,
    defaultVersion: template.defaultVersion === version.versionNumber,
    launchTemplateData: { imageId: version.imageId, instanceType: version.instanceType },
  })

  const handlers: Record<string, (p: FormParams) => Ec2Output> = {
    DescribeInstances: (p) => {
      const { instances, nextToken } = ec2.describe({ instanceIds: p.list('InstanceId'), filters: filtersOf(p), maxResults: p.int('MaxResults'), nextToken: p.get('NextToken') })
      return {
        reservationSet: instances.map((instance) => ({
          reservationId: instance.reservationId,
          ownerId: region.accountId,
          groupSet: [],
          instancesSet: [instanceXml(instance)],
        })),
        nextToken,
      }
    },
    CreateTags: (p) => {
      ec2.createTags(requiredList(p, 'ResourceId'), p.structs('Tag').map((t) => ({ key: required(t, 'Key'), value: t.get('Value') ?? '' })))
      return undefined
    },
    DeleteTags: (p) => {
      ec2.deleteTags(requiredList(p, 'ResourceId'), p.structs('Tag').map((t) => ({ key: required(t, 'Key'), value: t.get('Value') })))
      return undefined
    },
    DescribeTags: (p) => ({
      tagSet: ec2.describeTags(filtersOf(p)).map((t) => ({ resourceId: t.resourceId, resourceType: t.resourceType, key: t.key, value: t.value })),
    }),
    DescribeLaunchTemplateVersions: (p) => {
      const ref = templateRef(p)
      const template = launchTemplates.find(ref)
      const versions = launchTemplates.describeVersions(ref, { versions: p.list('LaunchTemplateVersion'), minVersion: p.int('MinVersion'), maxVersion: p.int('MaxVersion') })
      return { launchTemplateVersionSet: versions.map((v) => versionXml(template, v)) }
    },
    CreateLaunchTemplateVersion: (p) => {
      const ref = templateRef(p)
      const version = launchTemplates.createVersion(ref, {
        sourceVersion: p.get('SourceVersion'),
        imageId: p.get('LaunchTemplateData.ImageId'),
        instanceType: p.get('LaunchTemplateData.InstanceType'),
        description: p.get('VersionDescription'),
      })
      return { launchTemplateVersion: versionXml(launchTemplates.find(ref), version) }
    },
    ModifyLaunchTemplate: (p) => {
      const ref = templateRef(p)
      const spec = p.get('SetDefaultVersion')
      const template = spec === undefined ? launchTemplates.find(ref) : launchTemplates.setDefaultVersion(ref, spec)
      return {
        launchTemplate: {
          launchTemplateId: template.id,
          launchTemplateName: template.name,
          createTime: new Date(template.createTime),
          createdBy,
          defaultVersionNumber: template.defaultVersion,
          latestVersionNumber: launchTemplates.latestVersion(template),
        },
      }
    },
  }
  return { service: 'ec2', protocol: ec2QueryProtocol(), handlers, authorize: ec2Authorization(region) }
}

function required(p: FormParams, key: string): string {
  const value = p.get(key)
  if (value === undefined) throw new ApiError('MissingParameter', `The request must contain the parameter ${key}`)
  return value
}

function requiredList(p: FormParams, key: string): string[] {
  const values = p.list(key)
  if (values.length === 0) throw new ApiError('MissingParameter', `The request must contain the parameter ${key}`)
  return values
}

function filtersOf(p: FormParams): Filter[] {
  return p.structs('Filter').map((f) => ({ name: required(f, 'Name'), values: f.list('Value') }))
}

function templateRef(p: FormParams): TemplateRef {
  return { id: p.get('LaunchTemplateId'), name: p.get('LaunchTemplateName') }
}
