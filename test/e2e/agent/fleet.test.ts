import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  bootFleet,
  DESIRED,
  expectServingContainers,
  GROUP,
  lifecycleActions,
  MAX_UNAVAILABLE,
  minServingSinceFullyServing,
  servingInstances,
  SERVICE,
  useFleets,
  waitForReplacement,
  WEB,
  ROLL_MS,
  inspectAll,
} from './harness.js'

/**
 * `deckhand agent` as it runs on EC2: every emulated instance of a group is a real agent process
 * (test/support/agent-launcher.ts) against the AWS emulator and the real Docker engine. The
 * assertions are on what AWS and Docker see (lifecycle states, hook results, tags, containers),
 * sampled on every emulator event, never on timings.
 */
useFleets()

describe('deckhand agent on an emulated Auto Scaling group', () => {
  it('boots a group of three: launch hooks CONTINUE, tags ready with revision and ready-at, containers running and healthy', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const group = emulator.instances({ group: GROUP })
    expect(group).toHaveLength(DESIRED)
    const revisions = new Set<string>()
    for (const instance of group) {
      const id = instance.instanceId
      expect(instance.lifecycleState).toBe('InService')
      expect(instance.healthStatus).toBe('Healthy')
      expect(lifecycleActions(fleet, { instanceId: id, hookName: 'launch-hook' })).toEqual([expect.objectContaining({ result: 'CONTINUE', by: 'api' })])
      expect(emulator.calls.count({ service: 'autoscaling', action: 'CompleteLifecycleAction', instanceId: id, outcome: 'ok' })).toBe(1)

      const tags = emulator.tags(id)
      expect(tags['deckhand:state']).toBe('ready')
      expect(tags['deckhand:revision']).toMatch(/^[0-9a-f]{12}$/)
      const readyAt = tags['deckhand:ready-at'] ?? ''
      expect(readyAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
      expect(Date.parse(readyAt)).toBeGreaterThanOrEqual(instance.launchTime.getTime() - 1_000)
      revisions.add(tags['deckhand:revision'] ?? '')

      const containers = await expectServingContainers(launcher, id, tags['deckhand:revision'] ?? '')
      expect(containers.find((c) => c.Config.Labels['deckhand.container'] === 'app')?.Config.Image).toBe(`${WEB}:1`)
      expect(await launcher.running(id)).toBe(true)
    }
    // Three agents that read the same parameters compute the same revision.
    expect(revisions.size).toBe(1)
  }, 120_000)

  it('rolls a version bump through the whole group, never more than maxUnavailable short', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const old = emulator.instances({ group: GROUP }).map((i) => i.instanceId)
    const oldRevision = emulator.tags(old[0] ?? '')['deckhand:revision']

    emulator.putParameter(`/deckhand/${SERVICE}/version`, '2')
    const now = await waitForReplacement(fleet, old, 'every instance replaced by one on version 2')

    const newRevision = now[0]?.tags['deckhand:revision']
    expect(newRevision).toMatch(/^[0-9a-f]{12}$/)
    expect(newRevision).not.toBe(oldRevision)
    for (const instance of now) {
      expect(instance.tags['deckhand:revision']).toBe(newRevision)
      const containers = await expectServingContainers(launcher, instance.instanceId, newRevision ?? '')
      expect(containers.find((c) => c.Config.Labels['deckhand.container'] === 'app')?.Config.Image).toBe(`${WEB}:2`)
    }
    for (const id of old) {
      expect(emulator.instance(id)?.state).toBe('terminated')
      // Each old instance left through the gate, drained and completed its terminate hook.
      expect(emulator.calls.count({ service: 'autoscaling', action: 'TerminateInstanceInAutoScalingGroup', instanceId: id, outcome: 'ok' })).toBe(1)
      expect(lifecycleActions(fleet, { instanceId: id, hookName: 'terminate-hook' })).toEqual([expect.objectContaining({ result: 'CONTINUE', by: 'api' })])
      expect(launcher.lines(id).some((l) => l.msg === 'rollout gate: terminate')).toBe(true)
      expect(fleet.states.get(id)).toEqual(['booting', 'ready', 'draining'])
    }
    expect(minServingSinceFullyServing(fleet)).toBeGreaterThanOrEqual(DESIRED - MAX_UNAVAILABLE)
  }, 240_000)

  it('stalls a release whose image does not exist: new instances fail, the old ones keep serving', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const old = emulator.instances({ group: GROUP }).map((i) => i.instanceId)
    const oldRevision = emulator.tags(old[0] ?? '')['deckhand:revision'] ?? ''

    emulator.putParameter(`/deckhand/${SERVICE}/version`, 'does-not-exist')
    const abandoned = (): string[] => lifecycleActions(fleet, { hookName: 'launch-hook', result: 'ABANDON' }).filter((e) => !old.includes(e.instanceId)).map((e) => e.instanceId)
    const failed = (): string[] => abandoned().filter((id) => emulator.instance(id)?.state === 'terminated')
    await emulator.waitFor(() => failed().length >= 2, { timeoutMs: ROLL_MS, description: 'two replacement instances to abandon their launch and terminate' })

    for (const id of failed()) {
      // Tagged failed, and kept failed with its reason while the group terminates it (SPEC §6).
      expect(fleet.states.get(id)).toEqual(['booting', 'failed'])
      expect(emulator.tags(id)['deckhand:reason']).toMatch(/does-not-exist/)
      expect(lifecycleActions(fleet, { instanceId: id, hookName: 'launch-hook' })).toEqual([expect.objectContaining({ result: 'ABANDON', by: 'api' })])
      expect(launcher.lines(id).find((l) => l.msg.startsWith('the boot failed'))?.reason).toMatch(/does-not-exist/)
    }
    const stillServing = old.filter((id) => servingInstances(emulator).some((i) => i.instanceId === id))
    expect(stillServing).toHaveLength(DESIRED - MAX_UNAVAILABLE)
    for (const id of stillServing) {
      expect(emulator.tags(id)['deckhand:revision']).toBe(oldRevision)
      await expectServingContainers(launcher, id, oldRevision)
    }
    expect(minServingSinceFullyServing(fleet)).toBeGreaterThanOrEqual(DESIRED - MAX_UNAVAILABLE)
  }, 240_000)

  it('replaces the group when the launch template gets a new image, with the revision unchanged', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const old = emulator.instances({ group: GROUP })
    const revision = old[0]?.tags['deckhand:revision'] ?? ''
    const baked = emulator.bakeLaunchTemplateVersion({ group: GROUP, imageId: 'ami-00000000000000002' })
    expect(old.every((i) => i.imageId !== baked.imageId)).toBe(true)

    const now = await waitForReplacement(fleet, old.map((i) => i.instanceId), 'every instance replaced by one from the new launch template version')
    for (const instance of now) {
      expect(instance.imageId).toBe(baked.imageId)
      expect(instance.launchTemplate?.version).toBe(baked.version)
      expect(instance.tags['deckhand:revision']).toBe(revision)
      await expectServingContainers(launcher, instance.instanceId, revision)
    }
    expect(minServingSinceFullyServing(fleet)).toBeGreaterThanOrEqual(DESIRED - MAX_UNAVAILABLE)
  }, 240_000)

  it('replaces instances launched from the old template version even when their agents started after the new one was made', async () => {
    // The template gets a new version (same AMI, another instance type) between the launch of
    // the first instances and the start of their agents: each agent reads a group that already
    // launches from the new version, but its own instance was launched from the old one.
    let baked: { templateId: string; version: number; imageId: string } | undefined
    const stale: string[] = []
    const fleet = await bootFleet({
      beforeAgent: (emulator, instance) => {
        baked ??= emulator.bakeLaunchTemplateVersion({ group: GROUP, imageId: instance.imageId, instanceType: 't3.small' })
        if (instance.launchTemplate?.version !== baked.version) stale.push(instance.instanceId)
      },
    })
    const { emulator, launcher } = fleet
    expect(stale).toHaveLength(DESIRED)

    const now = await waitForReplacement(fleet, stale, 'every instance launched from the old template version replaced')
    const revision = now[0]?.tags['deckhand:revision'] ?? ''
    for (const instance of now) {
      expect(instance.launchTemplate?.version).toBe(baked?.version)
      expect(instance.instanceType).toBe('t3.small')
      expect(instance.tags['deckhand:revision']).toBe(revision)
      await expectServingContainers(launcher, instance.instanceId, revision)
    }
    for (const id of stale) {
      expect(launcher.lines(id).find((l) => l.msg === 'rollout gate: terminate')?.outOfDate).toEqual(['launch-template'])
      expect(emulator.tags(id)['deckhand:revision']).toBe(revision)
    }
    expect(minServingSinceFullyServing(fleet)).toBeGreaterThanOrEqual(DESIRED - MAX_UNAVAILABLE)
  }, 240_000)

  it('terminates nothing and stops nothing while SSM is throttled for a minute', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const ids = emulator.instances({ group: GROUP }).map((i) => i.instanceId)
    const startedAt = async () => new Map((await Promise.all(ids.map((id) => inspectAll(launcher, id)))).flat().map((c) => [c.Id, c.State.StartedAt]))
    const before = await startedAt()
    expect(before.size).toBe(DESIRED * 3)

    const throttle = emulator.faults.throttle('ssm', { durationMs: 60_000 })
    const throttledFrom = Date.now()
    // Past the minute, every agent's drift check reads SSM again.
    await emulator.waitFor(
      () =>
        !throttle.active &&
        ids.every((id) => emulator.calls.list({ service: 'ssm', action: 'GetParameters', instanceId: id, outcome: 'ok' }).some((c) => c.wallAt > throttledFrom + 60_000)),
      { timeoutMs: 120_000, description: 'the throttle to end and every agent to read SSM again' },
    )

    expect(throttle.hits).toBeGreaterThan(0)
    expect(emulator.calls.count({ service: 'ssm', outcome: 'ThrottlingException' })).toBeGreaterThan(0)
    for (const id of ids) {
      expect(emulator.calls.count({ service: 'ssm', outcome: 'ThrottlingException', instanceId: id })).toBeGreaterThan(0)
      expect(launcher.lines(id).some((l) => l.msg.startsWith('drift check could not read SSM'))).toBe(true)
      expect(launcher.lines(id).some((l) => l.state === 'draining')).toBe(false)
    }
    expect(emulator.calls.count({ service: 'autoscaling', action: 'TerminateInstanceInAutoScalingGroup' })).toBe(0)
    expect(servingInstances(emulator).map((i) => i.instanceId).sort()).toEqual([...ids].sort())
    expect(await startedAt()).toEqual(before)
    for (const id of ids) await expectServingContainers(launcher, id, emulator.tags(id)['deckhand:revision'] ?? '')
  }, 200_000)

  it('drains the instance a scale-in picks: containers stop in reverse order, the terminate hook completes with CONTINUE', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const before = emulator.instances({ group: GROUP }).map((i) => i.instanceId)

    await emulator.setDesiredCapacity(GROUP, DESIRED - 1)
    const leaving = emulator.instances({ group: GROUP }).find((i) => i.lifecycleState?.startsWith('Terminating'))
    expect(leaving).toBeDefined()
    const id = leaving?.instanceId ?? ''
    await emulator.waitFor(() => emulator.instance(id)?.state === 'terminated', { timeoutMs: 60_000, description: `${id} to drain and terminate` })

    expect(lifecycleActions(fleet, { instanceId: id, hookName: 'terminate-hook' })).toEqual([expect.objectContaining({ result: 'CONTINUE', by: 'api' })])
    expect(emulator.calls.count({ service: 'autoscaling', action: 'CompleteLifecycleAction', instanceId: id, outcome: 'ok' })).toBe(2)
    expect(emulator.calls.count({ service: 'autoscaling', action: 'TerminateInstanceInAutoScalingGroup' })).toBe(0)
    expect(fleet.states.get(id)).toEqual(['booting', 'ready', 'draining'])
    const stops = (await readFile(join(launcher.agent(id).stateDir, 'volumes', SERVICE, 'log', 'stops'), 'utf8')).trim().split('\n').map((line) => line.split(' ')[0])
    expect(stops).toEqual(['worker', 'db'])
    const stopping = launcher.lines(id).filter((l) => l.msg === 'stopping container').map((l) => l.container)
    expect(stopping).toEqual(['worker', 'app', 'db'])

    const rest = before.filter((other) => other !== id)
    expect(servingInstances(emulator).map((i) => i.instanceId).sort()).toEqual(rest.sort())
    expect(emulator.group(GROUP)?.desired).toBe(DESIRED - 1)
  }, 120_000)
})
