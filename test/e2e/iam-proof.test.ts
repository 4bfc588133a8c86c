import { ECRClient } from '@aws-sdk/client-ecr'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { EcrCredentials } from '../../src/adapters/aws/ecr-credentials.js'
import { readHclDir } from '../infra/support/hcl.js'
import { ModuleEvaluator, type IamStatement } from '../infra/support/hcl-eval.js'
import { evaluate, onAnotherService, type Verdict } from '../infra/support/iam-proof.js'
import { MODULE_DIR, moduleScope } from '../infra/support/module-scope.js'
import { AgentLauncher } from '../support/agent-launcher.js'
import { startEmulator, type Emulator } from '../support/aws-emulator/index.js'
import type { Authorization } from '../support/aws-emulator/wire/authorization.js'
import { assertTestEnvironment, images } from '../support/images.js'

/**
 * The agent's IAM policy (terraform/modules/service, read from its HCL) against every AWS call
 * real agents make: two `deckhand agent` processes boot a group through its launch hook, then
 * a release rolls the group (drift, the gate, self-termination, drain, the terminate hook).
 * The emulator records what IAM would evaluate for each call (action, resource ARN, condition
 * context); @cloud-copilot/iam-simulate evaluates it.
 *
 * This is a run of its own, smaller than test/e2e/agent/fleet.test.ts: recording that whole
 * suite would double the end-to-end time. What it cannot reach is listed, not skipped:
 * - the EBS statements (issue 13: the agent does not call EBS yet);
 * - ec2:DeleteTags of deckhand:reason, which the agent makes only when a crash loop ends:
 *   checked below on that call;
 * - ecr:GetAuthorizationToken from a running agent (image names must be ECR hosts, which do not
 *   resolve here): the agent's own EcrCredentials adapter makes that call below instead.
 */
const SERVICE = 'proof'
const GROUP = 'proof-asg'
const OTHER = 'other'
const EBS_STATEMENTS = ['EbsCreateOwnVolumes', 'EbsTagOnCreate', 'EbsMarkOwnVolumesFormatted', 'EbsAttachOwnVolumes', 'EbsDescribeVolumes']

const MANIFEST = `
containers:
  app:
    image: ${images.sleeper}
    env: { NAME: app, RELEASE: "\${version}", SECRET: { ssm: /deckhand/${SERVICE}/secrets/token } }
    stopTimeout: 2s
rollout:
  maxUnavailable: 1
  bootDeadline: 60s
`

let emulator: Emulator
let launcher: AgentLauncher
let policy: { Version: '2012-10-17'; Statement: IamStatement[] }
let made: Authorization[]
let verdicts: Verdict[]

const serving = () => emulator.instances({ group: GROUP }).filter((i) => i.lifecycleState === 'InService' && i.tags['deckhand:state'] === 'ready')

beforeAll(async () => {
  await assertTestEnvironment()
  launcher = new AgentLauncher()
  emulator = await startEmulator({ launcher })
  emulator.putParameter(`/deckhand/${SERVICE}/manifest`, MANIFEST)
  emulator.putParameter(`/deckhand/${SERVICE}/version`, '1')
  emulator.putParameter(`/deckhand/${SERVICE}/secrets/token`, 's3cret', { type: 'SecureString' })
  await emulator.createGroup({ name: `${OTHER}-asg`, desired: 0, tags: { 'deckhand:service': OTHER } })
  await emulator.createGroup({
    name: GROUP,
    desired: 2,
    tags: { 'deckhand:service': SERVICE },
    hooks: [{ transition: 'launch', heartbeatTimeoutSeconds: 600 }, { transition: 'terminate', heartbeatTimeoutSeconds: 600 }],
  })
  const first = await emulator.waitFor(() => (serving().length === 2 ? serving().map((i) => i.instanceId) : undefined), { timeoutMs: 90_000, description: 'both instances to serve' })
  emulator.putParameter(`/deckhand/${SERVICE}/version`, '2')
  await emulator.waitFor(
    () => serving().length === 2 && serving().every((i) => !first.includes(i.instanceId)) && first.every((id) => emulator.instance(id)?.state === 'terminated'),
    { timeoutMs: 150_000, description: 'the release to replace both instances' },
  )
  // What a running agent would do for an ECR image, by the agent's own adapter and credentials.
  const instanceId = serving()[0]?.instanceId ?? ''
  const ecr = new ECRClient(emulator.clientConfig('ecr', { instanceId }))
  await new EcrCredentials({ clientFor: () => ecr, fallback: { credentialsFor: async () => undefined } }).credentialsFor(`${emulator.state.accountId}.dkr.ecr.${emulator.state.name}.amazonaws.com/app:1`)
  ecr.destroy()

  made = emulator.calls.list().filter((c) => c.instanceId !== undefined && c.service !== 'imds').flatMap((c) => c.authorizations)
  const files = await readHclDir(MODULE_DIR, '.tf')
  policy = new ModuleEvaluator(files, moduleScope({ service: SERVICE, ebs_volumes: true })).policyDocument('agent')
  verdicts = await Promise.all(made.map((a) => evaluate(policy, a, emulator.state.accountId)))
}, 300_000)

afterAll(async () => {
  await emulator?.close()
  await launcher?.close()
})

describe("the module's agent policy against the calls real agents made", () => {
  it('recorded the calls of a boot, a release and a drain', () => {
    onTestFailed(() => console.log(launcher.report()))
    const actions = new Set(made.map((a) => a.action))
    for (const action of ['ssm:GetParameters', 'autoscaling:CompleteLifecycleAction', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'ec2:CreateTags', 'ec2:DescribeInstances', 'ecr:GetAuthorizationToken']) {
      expect(actions, action).toContain(action)
    }
  })

  it('allows every call the agents made, with every condition evaluated', () => {
    const refused = verdicts.filter((v) => v.result !== 'Allowed' || v.ignoredConditions > 0)
    expect(refused.map((v) => ({ ...v.authorization, result: v.result, errors: v.errors }))).toEqual([])
  })

  it('denies the same calls on another service: its group, its instances, its parameters', async () => {
    const scoped = made.filter((a) => a.resource !== '*')
    expect(scoped.some((a) => a.resource.includes(':autoScalingGroup:'))).toBe(true)
    expect(scoped.some((a) => a.resource.includes(':instance/'))).toBe(true)
    expect(scoped.some((a) => a.resource.includes(':parameter/'))).toBe(true)
    const elsewhere = await Promise.all(scoped.map((a) => evaluate(policy, onAnotherService(a, SERVICE, OTHER), emulator.state.accountId)))
    expect(elsewhere.filter((v) => v.result === 'Allowed').map((v) => v.authorization)).toEqual([])
  })

  it('denies an instance retagging itself into another service', async () => {
    const own = made.find((a) => a.action === 'ec2:CreateTags')
    expect(own).toBeDefined()
    const retag = { ...own!, context: { ...own!.context, 'aws:RequestTag/deckhand:service': OTHER, 'aws:TagKeys': ['deckhand:service'] } }
    expect((await evaluate(policy, retag, emulator.state.accountId)).result).not.toBe('Allowed')
  })

  it('uses every statement, except those granted for EBS (issue 13) and the reason removal, checked below', () => {
    const used = new Set(verdicts.flatMap((v) => v.allowedBy))
    const unused = policy.Statement.map((s) => s.Sid ?? '').filter((sid) => !used.has(sid))
    expect(unused.sort()).toEqual(['UntagOwnReason', ...EBS_STATEMENTS].sort())
  })

  it('allows removing deckhand:reason from its own instance, and nothing else', async () => {
    const own = made.find((a) => a.action === 'ec2:CreateTags')
    expect(own).toBeDefined()
    const untag = (keys: string[], service = SERVICE): Authorization => ({
      action: 'ec2:DeleteTags',
      resource: own!.resource,
      context: { 'aws:ResourceTag/deckhand:service': service, 'ec2:ResourceTag/deckhand:service': service, 'aws:TagKeys': keys },
    })
    const verdict = async (a: Authorization) => (await evaluate(policy, a, emulator.state.accountId)).result
    expect(await verdict(untag(['deckhand:reason']))).toBe('Allowed')
    expect(await verdict(untag(['deckhand:service']))).not.toBe('Allowed')
    expect(await verdict(untag(['deckhand:state']))).not.toBe('Allowed')
    expect(await verdict(untag(['deckhand:reason'], OTHER))).not.toBe('Allowed')
  })
})

describe('the EBS statements (issue 13), on the calls SPEC section 4 will make', () => {
  const arn = (kind: string, id: string) => `arn:aws:ec2:${emulator.state.name}:${emulator.state.accountId}:${kind}/${id}`
  const call = (action: string, resource: string, context: Authorization['context']): Authorization => ({ action, resource, context })
  const own = { 'aws:ResourceTag/deckhand:service': SERVICE, 'ec2:ResourceTag/deckhand:service': SERVICE }
  const others = { 'aws:ResourceTag/deckhand:service': OTHER, 'ec2:ResourceTag/deckhand:service': OTHER }
  const verdict = async (a: Authorization) => (await evaluate(policy, a, emulator.state.accountId)).result

  it('allows creating, tagging at creation, marking formatted, attaching and detaching volumes of this service', async () => {
    const allowed = [
      call('ec2:CreateVolume', arn('volume', '*'), { 'aws:RequestTag/deckhand:service': SERVICE, 'aws:RequestTag/deckhand:volume': 'data', 'aws:TagKeys': ['deckhand:service', 'deckhand:volume'] }),
      call('ec2:CreateTags', arn('volume', '*'), { 'ec2:CreateAction': 'CreateVolume', 'aws:RequestTag/deckhand:service': SERVICE, 'aws:TagKeys': ['deckhand:service'] }),
      call('ec2:CreateTags', arn('volume', 'vol-0123456789abcdef0'), { ...own, 'aws:RequestTag/deckhand:formatted': 'ext4', 'aws:TagKeys': ['deckhand:formatted'] }),
      call('ec2:AttachVolume', arn('volume', 'vol-0123456789abcdef0'), own),
      call('ec2:AttachVolume', arn('instance', 'i-0123456789abcdef0'), own),
      call('ec2:DetachVolume', arn('volume', 'vol-0123456789abcdef0'), own),
      call('ec2:DescribeVolumes', '*', {}),
    ]
    expect(await Promise.all(allowed.map(verdict))).toEqual(allowed.map(() => 'Allowed'))
  })

  it("denies another service's volumes, untagged creation, retagging and deletion", async () => {
    const denied = [
      call('ec2:CreateVolume', arn('volume', '*'), { 'aws:RequestTag/deckhand:service': OTHER, 'aws:TagKeys': ['deckhand:service'] }),
      call('ec2:CreateVolume', arn('volume', '*'), {}),
      call('ec2:CreateTags', arn('volume', 'vol-0123456789abcdef0'), { ...own, 'aws:RequestTag/deckhand:service': OTHER, 'aws:TagKeys': ['deckhand:service'] }),
      call('ec2:AttachVolume', arn('volume', 'vol-0123456789abcdef0'), others),
      call('ec2:AttachVolume', arn('instance', 'i-0123456789abcdef0'), others),
      call('ec2:DetachVolume', arn('volume', 'vol-0123456789abcdef0'), others),
      call('ec2:DeleteVolume', arn('volume', 'vol-0123456789abcdef0'), own),
    ]
    expect((await Promise.all(denied.map(verdict))).filter((r) => r === 'Allowed')).toEqual([])
  })
})
