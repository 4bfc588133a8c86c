import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { describe, expect, it } from 'vitest'
import { outForReplacement } from '../../../src/core/rollout/replacement-turn.js'
import { readDeckhandTags, type GroupView, type InstanceView } from '../../../src/core/rollout/group-view.js'
import type { Emulator } from '../../support/aws-emulator/index.js'
import { images } from '../../support/images.js'
import { bootFleet, docker, DESIRED, GROUP, inspectAll, lifecycleActions, MANIFEST, ROLL_MS, SERVICE, servingInstances, useFleets, waitForReplacement } from './harness.js'

/**
 * Issue 11 end to end: real agents on the emulator and the real engine. Restarts are not drains;
 * lost tags come back; a slow boot keeps its launch hook alive; a dependency outage replaces at
 * most maxUnavailable at a time; a permission missing fails the boot at once, saying which.
 */
useFleets()

/** SPEC §5's view of the group, from the emulator's state, for invariants sampled on every event. */
function groupView(emulator: Emulator): GroupView {
  const group = emulator.group(GROUP)
  return {
    name: GROUP,
    desiredCapacity: group?.desired ?? 0,
    instances: emulator.instances({ group: GROUP }).flatMap((i) =>
      i.lifecycleState === undefined || i.healthStatus === undefined
        ? []
        : [{ id: i.instanceId, launchTime: i.launchTime.getTime(), lifecycleState: i.lifecycleState as InstanceView['lifecycleState'], health: i.healthStatus as InstanceView['health'], ...readDeckhandTags(i.tags) }],
    ),
  }
}

describe('deckhand agent: restarts, reconciliation, slow boots, outages, permissions', () => {
  it('a restart with the host up leaves containers untouched and tags ready; the group then rolls a later release', async () => {
    const fleet = await bootFleet()
    const { emulator, launcher } = fleet
    const [first] = emulator.instances({ group: GROUP })
    const id = first?.instanceId ?? ''
    const tags = { ...emulator.tags(id) }
    const started = new Map((await inspectAll(launcher, id)).map((c) => [c.Id, c.State.StartedAt]))

    expect(await launcher.restart(id)).toBe(0)
    const previous = launcher.agent(id).previous.at(-1)
    expect(previous?.lines.some((l) => l.msg.startsWith('stopping the agent alone'))).toBe(true)
    expect(previous?.lines.some((l) => l.msg === 'draining')).toBe(false)
    await launcher.agent(id).process.waitForLog('the new agent adopting', (l) => l.msg.startsWith('adopting: this instance was ready'))
    expect(new Map((await inspectAll(launcher, id)).map((c) => [c.Id, c.State.StartedAt]))).toEqual(started)
    expect(emulator.tags(id)).toEqual(tags)
    expect(lifecycleActions(fleet, { instanceId: id, hookName: 'terminate-hook' })).toEqual([])

    const old = emulator.instances({ group: GROUP }).map((i) => i.instanceId)
    emulator.putParameter(`/deckhand/${SERVICE}/version`, '2')
    await waitForReplacement(fleet, old, 'every instance replaced by one on version 2 after the restart')
  }, 240_000)

  it('writes ready tags deleted by hand again', async () => {
    const { emulator } = await bootFleet()
    const [first] = emulator.instances({ group: GROUP })
    const id = first?.instanceId ?? ''
    const before = { ...emulator.tags(id) }
    const ec2 = new EC2Client(emulator.clientConfig('ec2'))
    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'deckhand:state' }, { Key: 'deckhand:ready-at' }] }))
    expect(emulator.tags(id)['deckhand:state']).toBeUndefined()
    await emulator.waitFor(() => emulator.tags(id)['deckhand:state'] === 'ready', { timeoutMs: 30_000, description: `${id}'s ready tags to come back` })
    expect(emulator.tags(id)).toEqual(before)
    ec2.destroy()
  }, 120_000)

  it('a boot longer than the launch hook heartbeat timeout still completes the hook with CONTINUE', async () => {
    // The app's port opens after 40 s; the launch hook's heartbeat timeout is 30 s.
    const manifest = MANIFEST.replace(
      /  app:\n    image: [^\n]+\n    network: bridge\n/,
      `  app:\n    image: ${images.slow}\n    env: { DELAY: "40" }\n    network: bridge\n`,
    )
      .replace('interval: 1s, timeout: 1s, retries: 3 }', 'interval: 1s, timeout: 1s, retries: 3, startPeriod: 2m }')
      .replace('bootDeadline: 90s', 'bootDeadline: 3m')
    expect(manifest).toContain(images.slow)
    const fleet = await bootFleet({ manifest, launchHeartbeatSeconds: 30, waitServing: false })
    const { emulator } = fleet
    await emulator.waitFor(() => servingInstances(emulator).length === DESIRED, { timeoutMs: 180_000, description: 'every slow instance to serve' })
    for (const instance of emulator.instances({ group: GROUP })) {
      const id = instance.instanceId
      expect(lifecycleActions(fleet, { instanceId: id, hookName: 'launch-hook' })).toEqual([expect.objectContaining({ result: 'CONTINUE', by: 'api' })])
      expect(emulator.calls.count({ service: 'autoscaling', action: 'RecordLifecycleActionHeartbeat', instanceId: id, outcome: 'ok' })).toBeGreaterThanOrEqual(2)
    }
  }, 240_000)

  it('a dependency outage that crash-loops every instance replaces at most maxUnavailable at a time; the rest stay up and come back', async () => {
    const dep = await mkdtemp(join(tmpdir(), 'deckhand-dependency-'))
    try {
      // `app` exits at once while the shared dependency is "down" (a file on the host).
      const manifest = `
containers:
  app:
    image: ${images.sleeper}
    command: ["/bin/sh", "-c", "if [ -e /dep/down ]; then echo dependency down; exit 1; fi; exec /bin/sh /sleeper.sh"]
    volumes: ["${dep}:/dep:ro"]
    # Healthy by a check, not merely running: a replacement whose app exits at once never gets ready.
    health: { cmd: ["/bin/true"], interval: 1s, retries: 1 }
    restart: { crashLoop: { restarts: 3, within: 1m } }
    stopTimeout: 2s
rollout:
  maxUnavailable: 1
  bootDeadline: 60s
`
      const fleet = await bootFleet({ manifest })
      const { emulator, launcher } = fleet
      const originals = emulator.instances({ group: GROUP }).map((i) => i.instanceId)
      const out: number[] = []
      emulator.on(() => out.push(outForReplacement(groupView(emulator))))

      await writeFile(join(dep, 'down'), '')
      for (const id of originals) for (const c of await launcher.containers(id)) await docker.getContainer(c.Id).kill().catch(() => undefined)

      const replaced = () => originals.filter((id) => emulator.instance(id)?.state === 'terminated' || emulator.instance(id)?.healthStatus === 'Unhealthy')
      const failedReplacements = () => lifecycleActions(fleet, { hookName: 'launch-hook', result: 'ABANDON' }).filter((e) => !originals.includes(e.instanceId))
      await emulator.waitFor(() => replaced().length >= 1 && failedReplacements().length >= 2, { timeoutMs: ROLL_MS, description: 'one original replaced and two of its replacements failing' })

      expect(Math.max(...out)).toBeLessThanOrEqual(1)
      expect(replaced()).toHaveLength(1)
      const waiting = originals.filter((id) => !replaced().includes(id))
      for (const id of waiting) {
        expect(emulator.tags(id)['deckhand:state']).toBe('degraded')
        expect(emulator.tags(id)['deckhand:reason']).toMatch(/^crash loop: app restarted/)
        expect(launcher.lines(id).some((l) => l.msg === 'crash loop: waiting for its turn')).toBe(true)
      }

      // The dependency is back: the waiting instances serve again, and the group heals.
      await rm(join(dep, 'down'))
      await emulator.waitFor(() => servingInstances(emulator).length === DESIRED, { timeoutMs: ROLL_MS, description: 'the group to serve again' })
      // Those still in the group serve again; any that went, went in its turn (the bound above).
      for (const id of waiting.filter((w) => servingInstances(emulator).some((i) => i.instanceId === w))) expect(emulator.tags(id)['deckhand:state']).toBe('ready')
      expect(Math.max(...out)).toBeLessThanOrEqual(1)
    } finally {
      await rm(dep, { recursive: true, force: true })
    }
  }, 300_000)

  it('fails the boot at once, naming the permission, when the role may not call ssm:GetParameters', async () => {
    const fleet = await bootFleet({ waitServing: false, beforeGroup: (emulator) => void emulator.faults.denied('ssm', { action: 'GetParameters' }) })
    const { emulator, launcher } = fleet
    await emulator.waitFor(() => lifecycleActions(fleet, { hookName: 'launch-hook', result: 'ABANDON' }).length >= DESIRED, { timeoutMs: 60_000, description: 'every instance to abandon its launch' })
    for (const { instanceId } of lifecycleActions(fleet, { hookName: 'launch-hook', result: 'ABANDON' }).slice(0, DESIRED)) {
      expect(fleet.states.get(instanceId)).toEqual(['failed'])
      expect(emulator.tags(instanceId)['deckhand:reason']).toMatch(/^The instance role is not allowed to call ssm:GetParameters \(AccessDeniedException/)
      expect(launcher.lines(instanceId).find((l) => l.msg.startsWith('the boot failed'))?.reason).toMatch(/add ssm:GetParameters to the instance role's policy\.$/)
    }
  }, 120_000)
})
