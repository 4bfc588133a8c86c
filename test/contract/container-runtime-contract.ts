import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isDeckhandError } from '../../src/core/errors.js'
import type { ContainerConfig, ContainerRuntime, RuntimeEvent } from '../../src/ports/container-runtime.js'
import { testContainerConfig } from '../support/container-config.js'

/** The images the contract needs; each implementation provides its own. */
export interface ContractImages {
  /** Runs until stopped and exits promptly on SIGTERM. No HEALTHCHECK. */
  readonly sleeper: string
  /** Exits by itself with code 3 soon (under a few seconds) after it starts. */
  readonly crasher: string
  /** An image no registry has: pulling it fails with IMAGE_NOT_FOUND. */
  readonly missing: string
}

export interface ContractSubject {
  readonly runtime: ContainerRuntime
  readonly images: ContractImages
  /** Whatever the harness set up besides containers; containers the suite removes itself. */
  cleanup(): Promise<void>
}

/** How long a condition may take on a real engine; a fake meets every one at once. */
const WAIT_MS = 20_000
const TEST_TIMEOUT_MS = 60_000

/**
 * What every ContainerRuntime must do, run against the in-memory fake and the real Docker
 * runtime alike, so the fake the supervisor is tested with cannot drift from the engine. It
 * asserts only what a fake can also do: no networking, no real health checks, no timing.
 * Every container it creates carries `deckhand.test=<run id>` and is removed in afterAll.
 */
export function containerRuntimeContract(name: string, makeRuntime: () => Promise<ContractSubject>): void {
  describe(`ContainerRuntime contract: ${name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    const runId = randomUUID().slice(0, 8)
    const runLabels = { 'deckhand.test': runId }
    let subject: ContractSubject
    let runtime: ContainerRuntime
    let images: ContractImages

    const containerName = (suffix: string): string => `dh-contract-${runId}-${suffix}`
    const config = (suffix: string, image: string, labels: Record<string, string> = {}): ContainerConfig =>
      testContainerConfig(containerName(suffix), image, { labels: { ...runLabels, 'deckhand.contract': suffix, ...labels }, env: { CONTRACT: suffix } })

    beforeAll(async () => {
      subject = await makeRuntime()
      runtime = subject.runtime
      images = subject.images
      await runtime.pull(images.sleeper)
      await runtime.pull(images.crasher)
    }, TEST_TIMEOUT_MS)

    afterAll(async () => {
      if (subject === undefined) return
      try {
        for (const state of await runtime.list(runLabels)) await runtime.remove(state.id)
      } finally {
        await subject.cleanup()
      }
    }, TEST_TIMEOUT_MS)

    it('answers a ping', async () => {
      await expect(runtime.ping()).resolves.toBeUndefined()
    })

    it('knows which images it has', async () => {
      expect(await runtime.hasImage(images.sleeper)).toBe(true)
      expect(await runtime.hasImage(images.missing)).toBe(false)
    })

    it('fails to pull a missing image with IMAGE_NOT_FOUND, not retryable', async () => {
      const error = await runtime.pull(images.missing).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isDeckhandError(error, 'IMAGE_NOT_FOUND')).toBe(true)
      expect(isDeckhandError(error) && error.retryable).toBe(false)
    })

    it('creates a container that a list by its labels finds, created and never started', async () => {
      const id = await runtime.create(config('created', images.sleeper, { 'deckhand.extra': 'yes' }))
      const found = await runtime.list({ ...runLabels, 'deckhand.extra': 'yes' })
      expect(found.map((state) => state.id)).toEqual([id])
      const state = found[0]
      expect(state).toMatchObject({
        id,
        name: containerName('created'),
        image: images.sleeper,
        status: 'created',
        engineHealth: 'none',
        failingStreak: 0,
        oomKilled: false,
      })
      expect(state?.labels).toMatchObject({ ...runLabels, 'deckhand.contract': 'created', 'deckhand.extra': 'yes' })
      expect(state?.startedAt).toBeUndefined()
      expect(state?.finishedAt).toBeUndefined()
      expect(state?.exitCode).toBeUndefined()
    })

    it('lists only containers that carry every given label', async () => {
      await runtime.create(config('labelled', images.sleeper, { 'deckhand.colour': 'blue' }))
      expect(await runtime.list({ ...runLabels, 'deckhand.colour': 'red' })).toEqual([])
      expect(await runtime.list({ 'deckhand.test': `${runId}-other` })).toEqual([])
      const blue = await runtime.list({ ...runLabels, 'deckhand.colour': 'blue' })
      expect(blue.map((state) => state.name)).toEqual([containerName('labelled')])
    })

    it('inspects by id and by name, and answers undefined for a container that does not exist', async () => {
      const id = await runtime.create(config('inspected', images.sleeper))
      expect((await runtime.inspect(id))?.name).toBe(containerName('inspected'))
      expect((await runtime.inspect(containerName('inspected')))?.id).toBe(id)
      expect(await runtime.inspect(containerName('never-created'))).toBeUndefined()
    })

    it('refuses a second container with a taken name with NAME_CLASH', async () => {
      await runtime.create(config('taken', images.sleeper))
      const error = await runtime.create(config('taken', images.sleeper)).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isDeckhandError(error, 'NAME_CLASH')).toBe(true)
      expect(error instanceof Error && error.message).toContain(containerName('taken'))
    })

    it('starts, stops (twice without complaint) and removes (twice without complaint)', async () => {
      const id = await runtime.create(config('lifecycle', images.sleeper))
      const before = Date.now()
      await runtime.start(id)
      const running = await runtime.inspect(id)
      expect(running?.status).toBe('running')
      expect(running?.startedAt).toBeTypeOf('number')
      expect(running?.startedAt ?? 0).toBeGreaterThan(before - 60_000)
      expect(running?.finishedAt).toBeUndefined()
      expect(running?.exitCode).toBeUndefined()

      await runtime.stop(id, 5_000)
      const stopped = await runtime.inspect(id)
      expect(stopped?.status).toBe('exited')
      expect(stopped?.exitCode).toBeTypeOf('number')
      expect(stopped?.finishedAt).toBeTypeOf('number')
      expect(stopped?.finishedAt ?? 0).toBeGreaterThanOrEqual(stopped?.startedAt ?? Infinity)
      await expect(runtime.stop(id, 5_000)).resolves.toBeUndefined()

      await runtime.remove(id)
      expect(await runtime.inspect(id)).toBeUndefined()
      expect(await runtime.list({ ...runLabels, 'deckhand.contract': 'lifecycle' })).toEqual([])
      await expect(runtime.remove(id)).resolves.toBeUndefined()
    })

    it('removes a running container', async () => {
      const id = await runtime.create(config('removed-running', images.sleeper))
      await runtime.start(id)
      await runtime.remove(id)
      expect(await runtime.inspect(id)).toBeUndefined()
    })

    it('reports the exit of a container that stops by itself: a die event, then exited with its code', async () => {
      const watched = { ...runLabels, 'deckhand.watch': 'yes' }
      const events = collectEvents(runtime, watched)
      try {
        await untilListening(runtime, events, (attempt) => config(`marker-${attempt}`, images.sleeper, { 'deckhand.watch': 'yes' }))
        // Started first and not watched: its events must not show up.
        const other = await runtime.create(config('unwatched', images.crasher))
        await runtime.start(other)
        const id = await runtime.create(config('crasher', images.crasher, { 'deckhand.watch': 'yes' }))
        await runtime.start(id)

        const died = await events.waitFor((event) => event.containerId === id && event.action === 'die')
        expect(died.name).toBe(containerName('crasher'))
        expect(events.seen.filter((event) => event.containerId === other)).toEqual([])
        expect(events.seen.map((event) => event.action)).toContain('start')

        const state = await runtime.inspect(id)
        expect(state?.status).toBe('exited')
        expect(state?.exitCode).toBe(3)
        expect(state?.oomKilled).toBe(false)
      } finally {
        await events.close()
      }
    })

    it('ends the event stream when the signal aborts', async () => {
      const events = collectEvents(runtime, { ...runLabels, 'deckhand.watch': 'nothing' })
      await expect(events.close()).resolves.toBeUndefined()
    })
  })
}

export interface EventCollector {
  readonly seen: RuntimeEvent[]
  waitFor(match: (event: RuntimeEvent) => boolean, timeoutMs?: number): Promise<RuntimeEvent>
  /** Aborts and waits, bounded, for the iteration to end. */
  close(): Promise<void>
}

/**
 * The port has no "subscribed" signal, and an engine only sends events that happen after it
 * has registered the subscription. So: create a container the subscription matches and wait
 * for its event; if the stream was not open yet, try again with another one.
 */
export async function untilListening(runtime: ContainerRuntime, events: EventCollector, marker: (attempt: number) => ContainerConfig): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = await runtime.create(marker(attempt))
    try {
      await events.waitFor((event) => event.containerId === id, 1_000)
      return
    } catch {
      // Not listening yet.
    } finally {
      await runtime.remove(id)
    }
  }
  throw new Error('the event stream never delivered an event for a container created to match it')
}

/** Reads the runtime's events in the background, so a test can start containers and then wait. */
export function collectEvents(runtime: ContainerRuntime, labels: Readonly<Record<string, string>>): EventCollector {
  const controller = new AbortController()
  const seen: RuntimeEvent[] = []
  const waiters = new Set<() => void>()
  let failure: unknown
  const done = (async () => {
    try {
      for await (const event of runtime.events(labels, controller.signal)) {
        seen.push(event)
        for (const wake of waiters) wake()
      }
    } catch (error) {
      failure = error
    } finally {
      for (const wake of waiters) wake()
    }
  })()

  return {
    seen,
    waitFor(match, timeoutMs = WAIT_MS) {
      return new Promise<RuntimeEvent>((resolve, reject) => {
        const check = (): void => {
          const found = seen.find(match)
          if (found !== undefined) finish(() => resolve(found))
          else if (failure !== undefined) finish(() => reject(failure))
        }
        const timer = setTimeout(() => finish(() => reject(new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`))), timeoutMs)
        const finish = (outcome: () => void): void => {
          clearTimeout(timer)
          waiters.delete(check)
          outcome()
        }
        waiters.add(check)
        check()
      })
    },
    async close() {
      controller.abort()
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the event stream did not end within ${WAIT_MS} ms of the abort`)), WAIT_MS)
      })
      try {
        await Promise.race([done, timedOut])
      } finally {
        clearTimeout(timer)
      }
      if (failure !== undefined) throw failure
    },
  }
}
