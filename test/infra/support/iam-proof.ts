import { runSimulation } from '@cloud-copilot/iam-simulate'
import type { Authorization } from '../../support/aws-emulator/wire/authorization.js'
import type { IamStatement } from './hcl-eval.js'

export interface Verdict {
  readonly authorization: Authorization
  readonly result: string
  /** Sids of the statements that allowed it. */
  readonly allowedBy: readonly string[]
  /** Conditions the simulator could not evaluate: must be none, or an Allow proves nothing. */
  readonly ignoredConditions: number
  readonly errors: string | undefined
}

/** One authorization, as the agent's role session, against the identity policy alone. */
export async function evaluate(policy: { Version: string; Statement: IamStatement[] }, authorization: Authorization, accountId: string): Promise<Verdict> {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'deckhand-agent', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: authorization.action,
        principal: `arn:aws:sts::${accountId}:assumed-role/deckhand-agent/i-0123456789abcdef0`,
        resource: { accountId, resource: authorization.resource },
        contextVariables: { ...authorization.context } as Record<string, string | string[]>,
      },
    },
    {},
  )
  if (response.resultType === 'error') return { authorization, result: 'error', allowedBy: [], ignoredConditions: 0, errors: JSON.stringify(response.errors) }
  const analyses = response.resultType === 'single' ? [response.result] : response.results
  const allows = analyses.flatMap((r) => r.analysis?.identityAnalysis?.allowStatements ?? [])
  return {
    authorization,
    result: response.overallResult,
    allowedBy: [...new Set(allows.map((s) => s.statement.sid() ?? `#${s.statement.index()}`))],
    ignoredConditions: allows.reduce((n, s) => n + Object.keys(s.ignoredConditions ?? {}).length, 0),
    errors: undefined,
  }
}

/** The same call made on another service's resource: its ARN and tags say `other`. */
export function onAnotherService(authorization: Authorization, own: string, other: string): Authorization {
  const swap = (text: string) => text.replaceAll(`/deckhand/${own}/`, `/deckhand/${other}/`).replace(new RegExp(`/deckhand/${own}$`), `/deckhand/${other}`)
  const context = Object.fromEntries(Object.entries(authorization.context).map(([key, value]) => [key, key.endsWith('/deckhand:service') && value === own ? other : value]))
  return { action: authorization.action, resource: swap(authorization.resource.replace(/autoScalingGroupName\/.*$/, `autoScalingGroupName/${other}-asg`)), context }
}
