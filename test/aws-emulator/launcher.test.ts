import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type EmulatedInstance, type Emulator, type Launcher } from '../support/aws-emulator/index.js'

/** A stand-in for the agent: configured by the environment alone, as `deckhand agent` will be. */
const FAKE_AGENT = `
import { MetadataService } from '@aws-sdk/ec2-metadata-service'
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling'
import { EC2Client, CreateTagsCommand } from '@aws-sdk/client-ec2'
import { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm'
const imds = new MetadataService({ httpOptions: { timeout: 2000 } })
const id = await imds.request('/latest/meta-data/instance-id', {})
const group = await imds.request('/latest/meta-data/tags/instance/aws:autoscaling:groupName', {})
const manifest = (await new SSMClient({}).send(new GetParameterCommand({ Name: '/deckhand/web/manifest' }))).Parameter.Value
await new EC2Client({}).send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'deckhand:state', Value: 'ready' }] }))
await new AutoScalingClient({}).send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'launch-hook', InstanceId: id, LifecycleActionResult: 'CONTINUE' }))
console.log(JSON.stringify({ id, group, manifest }))
setInterval(() => undefined, 1000)
`

describe('the launcher', () => {
  let emulator: Emulator
  afterEach(async () => {
    await emulator.close()
  })

  it('starts each instance after its IMDS is up, with an environment that runs an unchanged SDK program, and stops it at Terminated', async () => {
    const processes = new Map<string, ChildProcess>()
    const firstLines = new Map<string, Promise<string>>()
    const exits = new Map<string, Promise<void>>()
    const terminated: string[] = []
    const launcher: Launcher = {
      launch(instance, env) {
        const child = spawn(process.execPath, ['--input-type=module', '-e', FAKE_AGENT], {
          cwd: process.cwd(),
          // Nothing AWS-related leaks in from the test runner's own environment.
          env: { PATH: process.env['PATH'] ?? '', ...env },
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let buffered = ''
        firstLines.set(instance.instanceId, new Promise((resolve) => child.stdout?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString()
          if (buffered.includes('\n')) resolve(buffered.split('\n')[0] ?? '')
        })))
        exits.set(instance.instanceId, new Promise((resolve) => child.once('exit', () => resolve())))
        processes.set(instance.instanceId, child)
      },
      terminate(instanceId) {
        terminated.push(instanceId)
        processes.get(instanceId)?.kill('SIGKILL')
      },
    }
    emulator = await startEmulator({ launcher })
    emulator.putParameter('/deckhand/web/manifest', 'containers: {}')
    const group = await emulator.createGroup({ name: 'web', desired: 1, hooks: [{ transition: 'launch' }] })
    const id = group.instances[0]?.instanceId ?? ''

    await emulator.waitFor(() => emulator.instance(id)?.lifecycleState === 'InService', { timeoutMs: 20_000, description: 'the fake agent to complete its launch hook' })
    expect(emulator.tags(id)['deckhand:state']).toBe('ready')
    expect(emulator.calls.list({ instanceId: id }).map((c) => `${c.service} ${c.action}`)).toEqual(expect.arrayContaining([
      'imds /latest/api/token',
      'ssm GetParameter',
      'ec2 CreateTags',
      'autoscaling CompleteLifecycleAction',
    ]))
    expect(JSON.parse(await firstLines.get(id) ?? '')).toEqual({ id, group: 'web', manifest: 'containers: {}' })

    // Termination is asynchronous, as the API call is: the VM dies once it reaches Terminated.
    await emulator.terminateInstance(id)
    await exits.get(id)
    expect(terminated).toEqual([id])
    expect(processes.get(id)?.signalCode).toBe('SIGKILL')
    expect(emulator.instance(id)?.state).toBe('terminated')
  }, 30_000)

  it('hands the launcher a Pending instance and its own environment', async () => {
    const launched: Array<{ instance: EmulatedInstance; env: Readonly<Record<string, string>> }> = []
    emulator = await startEmulator({ launcher: { launch: (instance, env) => void launched.push({ instance, env }), terminate: () => undefined } })
    await emulator.createGroup({ name: 'web', desired: 2 })
    expect(launched).toHaveLength(2)
    const [first] = launched
    expect(first?.instance.lifecycleState).toBe('Pending')
    expect(first?.instance.tags['aws:autoscaling:groupName']).toBe('web')
    expect(first?.env).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: `emulated-${first?.instance.instanceId}`,
      AWS_SECRET_ACCESS_KEY: 'emulated-secret',
      AWS_ENDPOINT_URL: emulator.endpoints.fallback,
      AWS_ENDPOINT_URL_SSM: emulator.endpoints.ssm,
      AWS_ENDPOINT_URL_AUTO_SCALING: emulator.endpoints.autoScaling,
      AWS_ENDPOINT_URL_EC2: emulator.endpoints.ec2,
      AWS_ENDPOINT_URL_ECR: emulator.endpoints.ecr,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: first?.instance.imdsEndpoint,
      AWS_EC2_METADATA_V1_DISABLED: 'true',
    })
    expect(launched[1]?.env['AWS_EC2_METADATA_SERVICE_ENDPOINT']).not.toBe(first?.env['AWS_EC2_METADATA_SERVICE_ENDPOINT'])
    expect(emulator.env()).not.toHaveProperty('AWS_EC2_METADATA_SERVICE_ENDPOINT')
  })

  it('reports launcher failures as events and carries on, like a VM whose agent never started', async () => {
    emulator = await startEmulator({ launcher: { launch: () => { throw new Error('no docker') }, terminate: () => undefined } })
    const group = await emulator.createGroup({ name: 'web', desired: 1 })
    const id = group.instances[0]?.instanceId ?? ''
    const failure = await emulator.waitFor(() => emulator.recentEvents().find((e) => e.type === 'launcher-error'))
    expect(failure).toMatchObject({ instanceId: id, phase: 'launch' })
    await emulator.waitFor(() => emulator.instance(id)?.lifecycleState === 'InService')
  })

  it('terminates every live instance through the launcher on close', async () => {
    const terminated: string[] = []
    emulator = await startEmulator({ launcher: { launch: () => undefined, terminate: (id) => void terminated.push(id) } })
    const group = await emulator.createGroup({ name: 'web', desired: 2 })
    await emulator.close()
    expect(terminated.sort()).toEqual(group.instances.map((i) => i.instanceId).sort())
  })

  it('answers services it does not emulate with an error instead of reaching real AWS', async () => {
    emulator = await startEmulator()
    const response = await fetch(emulator.endpoints.fallback, { method: 'POST', headers: { 'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity' } })
    expect(response.status).toBe(501)
    expect(await response.text()).toContain('not emulated')
  })
})
