import { describe, expect, it } from 'vitest'
import { boot } from '../../../src/core/boot/boot.js'
import { isDeckhandError } from '../../../src/core/errors.js'
import { parseManifest, withRevision } from '../../../src/core/manifest/index.js'
import type { ImageFetcher } from '../../../src/ports/image-fetcher.js'
import { FakeProbe } from '../../support/fake-probe.js'
import { FakeRuntime } from '../../support/fake-runtime.js'
import { ManualClock } from '../../support/manual-clock.js'
import { MemoryLogger } from '../../support/memory-logger.js'

function desired(text: string) {
  const parsed = parseManifest(text, { version: '1' })
  if (!parsed.ok) throw new Error('bad test manifest')
  return withRevision(parsed.manifest, {})
}

/** A registry that never answers: the pull runs until its signal aborts. */
const hangingRegistry: ImageFetcher = {
  ensure: (_images, signal) =>
    new Promise((_, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
    }),
}

/** A registry that refuses connections: the fetcher retries, and knows why each try failed. */
const refusingRegistry: ImageFetcher = {
  ensure: hangingRegistry.ensure,
  outstanding: () => [{ image: '127.0.0.1:1/app:1', reason: 'Cannot pull 127.0.0.1:1/app:1: connection refused.' }],
}

describe('boot', () => {
  it('fails at the boot deadline when the images never arrive, naming what to check', async () => {
    const clock = new ManualClock()
    const runtime = new FakeRuntime(clock)
    const started = boot({
      identity: { instanceId: 'i-1', service: 'web' },
      desired: desired('containers:\n  app: { image: "app:1" }\nrollout: { bootDeadline: 2m }\n'),
      host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
      runtime,
      images: hangingRegistry,
      volumes: { prepare: async () => ({ kind: 'tmpfs' }), release: async () => {} },
      parameters: { read: async () => new Map() },
      probe: new FakeProbe(),
      clock,
      scheduler: clock,
      logger: new MemoryLogger(),
    })
    let outcome: unknown
    void started.then(
      () => (outcome = 'booted'),
      (error: unknown) => (outcome = error),
    )
    await clock.advance(119_000)
    expect(outcome).toBeUndefined()
    await clock.advance(1_000)
    expect(isDeckhandError(outcome, 'BOOT_DEADLINE')).toBe(true)
    expect((outcome as Error).message).toBe(
      "The images and volumes were not ready within the boot deadline of 2m; check the registry and the instance's network, or raise rollout.bootDeadline.",
    )
    expect(runtime.all()).toEqual([])
  })

  it('names the image still missing and its last failure when the deadline passes', async () => {
    const clock = new ManualClock()
    const runtime = new FakeRuntime(clock)
    const started = boot({
      identity: { instanceId: 'i-1', service: 'web' },
      desired: desired('containers:\n  app: { image: "127.0.0.1:1/app:1" }\nrollout: { bootDeadline: 5s }\n'),
      host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
      runtime,
      images: refusingRegistry,
      volumes: { prepare: async () => ({ kind: 'tmpfs' }), release: async () => {} },
      parameters: { read: async () => new Map() },
      probe: new FakeProbe(),
      clock,
      scheduler: clock,
      logger: new MemoryLogger(),
    })
    const outcome = started.catch((error: unknown) => error)
    await clock.advance(5_000)
    expect(((await outcome) as Error).message).toBe(
      "The images and volumes were not ready within the boot deadline of 5s (image 127.0.0.1:1/app:1 not pulled: Cannot pull 127.0.0.1:1/app:1: connection refused); check the registry and the instance's network, or raise rollout.bootDeadline.",
    )
  })
})
