import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeckhandProcess } from '../support/deckhand-process.js'
import { assertTestEnvironment, images, registry } from '../support/images.js'
import { recordTry, tries } from './support/tally.js'

/**
 * The registry down, or up but silent, while `deckhand up` boots: the boot fails at its deadline
 * with one sentence (the pulls' own errors are in the log), creates no container, and the shared registry and
 * engine go on serving. The registries here are our own loopback ports, never 127.0.0.1:5000.
 */
const docker = new Dockerode()
const runId = `faults${process.pid}`
let dir: string
const BOOT_DEADLINE = /^The images and volumes were not ready within the boot deadline of 5s( \(image \S+ not pulled.*\))?; check the registry and the instance's network, or raise rollout\.bootDeadline\.$/

beforeAll(async () => {
  await assertTestEnvironment()
  dir = await mkdtemp(join(tmpdir(), 'deckhand-faults-registry-'))
})

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: ['deckhand.instance=local'] } })
  await Promise.all(left.filter((c) => (c.Labels['deckhand.service'] ?? '').startsWith(runId)).map((c) => docker.getContainer(c.Id).remove({ force: true })))
  await rm(dir, { recursive: true, force: true })
})

/** A port on 127.0.0.1 where nothing listens: bound by us, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A "registry" that accepts connections and never says a word, until closed. */
async function silentRegistry(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function bootUp(name: string, image: string): Promise<{ code: number | null; stderr: string; containers: number; pullErrors: string[] }> {
  const service = `${runId}-${name}`
  const file = join(dir, `${service}.yaml`)
  await writeFile(file, `containers:\n  web: { image: "${image}", stopTimeout: 2s }\nrollout:\n  bootDeadline: 5s\n`)
  const agent = new DeckhandProcess(['up', '-f', file, '--log-format', 'json'], { DECKHAND_STATE_DIR: join(dir, service), DECKHAND_METRICS_ADDR: 'off' })
  const code = await agent.exited
  const mine = await docker.listContainers({ all: true, filters: { label: [`deckhand.service=${service}`] } })
  // The final sentence names no image (see docs/reliability.md); the retries' warnings do.
  const pullErrors = agent.lines.filter((l) => l.image === image && typeof l.reason === 'string').map((l) => String(l.reason))
  return { code, stderr: agent.stderr.join('').trim(), containers: mine.length, pullErrors }
}

/** The shared registry still answers and the engine can still pull from it. */
async function sharedStillServes(): Promise<boolean> {
  const answered = await fetch(`http://${registry}/v2/`).then((r) => r.ok, () => false)
  if (!answered) return false
  const stream = await docker.pull(images.sleeper)
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))))
  return true
}

describe('the registry down or silent during a boot', () => {
  for (let t = 0; t < tries; t++) {
    it(`nothing listening on the registry's port (try ${t + 1})`, async () => {
      const image = `127.0.0.1:${await deadPort()}/deckhand-test/web:1`
      const result = await bootUp(`down${t}`, image)
      const ok = result.code === 1 && result.stderr.split('\n').length === 1 && BOOT_DEADLINE.test(result.stderr) && result.pullErrors.length > 0 && result.containers === 0 && (await sharedStillServes())
      recordTry({ fault: 'registry down during a boot', survived: ok, lost: 0, wrongfulTerminations: 0, note: `${result.stderr} / ${result.pullErrors[0] ?? ''}` })
      expect(result).toMatchObject({ code: 1, containers: 0 })
      expect(result.stderr.split('\n')).toHaveLength(1)
      expect(result.stderr).toMatch(BOOT_DEADLINE)
      expect(result.pullErrors.length).toBeGreaterThan(0)
      expect(await sharedStillServes()).toBe(true)
    }, 120_000)

    it(`a registry that accepts connections and never answers (try ${t + 1})`, async () => {
      const silent = await silentRegistry()
      try {
        const result = await bootUp(`silent${t}`, `127.0.0.1:${silent.port}/deckhand-test/web:1`)
        const ok = result.code === 1 && result.stderr.split('\n').length === 1 && BOOT_DEADLINE.test(result.stderr) && result.containers === 0
        recordTry({ fault: 'registry silent (slow past the boot deadline) during a boot', survived: ok && (await sharedStillServes()), lost: 0, wrongfulTerminations: 0, note: result.stderr })
        expect(result).toMatchObject({ code: 1, containers: 0 })
        expect(result.stderr.split('\n')).toHaveLength(1)
        expect(result.stderr).toMatch(BOOT_DEADLINE)
      } finally {
        await silent.close()
      }
      expect(await sharedStillServes()).toBe(true)
    }, 120_000)
  }
})
