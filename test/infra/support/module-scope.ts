import type { EvalScope } from './hcl-eval.js'

export const ACCOUNT = '123456789012'
export const REGION = 'eu-west-1'
export const MODULE_DIR = new URL('../../../terraform/modules/service', import.meta.url).pathname

/** terraform/modules/service's inputs as a root would set them, with the data sources' answers. */
export function moduleScope(vars: Record<string, unknown>): EvalScope {
  return {
    moduleDir: MODULE_DIR,
    vars: { extra_parameter_arns: [], ecr_repository_arns: [], kms_key_arn: null, ebs_volumes: false, spot: false, boot_deadline_seconds: 600, drain_seconds: 600, ...vars },
    data: {
      aws_partition: { current: { partition: 'aws' } },
      aws_region: { current: { name: REGION } },
      aws_caller_identity: { current: { account_id: ACCOUNT } },
    },
  }
}
