import { describe, expect, it } from 'vitest'
import { ParallelImageFetcher } from '../../../src/adapters/images/parallel-image-fetcher.js'
import { DeckhandError } from '../../../src/core/errors.js'
import type { ContainerRuntime } from '../../../src/ports/container-runtime.js'
import { MemoryLogger } from '../../support/memory-logger.js'

const down = () => new DeckhandError('DOCKER_UNREACHABLE', 'Cannot reach the Docker engine at /var/run/docker.sock; start Docker (systemctl start docker) or set DOCKER_HOST.', { retryable: true })

/** hasImage and pull only, answering from a script: each call takes the next answer of its kind. */
function engine(script: { has: (boolean | Error)[]; pull: (undefined | Error)[] }) {
  const calls: string[] = []
  const next = <T>(answers: (T | Error)[], fallback: T): T => {
    const answer = answers.length > 0 ? answers.shift() : fallback
    if (answer instanceof Error) throw answer
    return answer as T
  }
  const runtime = {
    hasImage: async (image: string) => {
      calls.push(`has ${image}`)
      return next(script.has, true)
    },
    pull: async (image: string) => {
      calls.push(`pull ${image}`)
      next(script.pull, undefined)
    },
  } as unknown as ContainerRuntime
  return { runtime, calls }
}

describe('ParallelImageFetcher', () => {
  it('does not pull an image that is present', async () => {
    const { runtime, calls } = engine({ has: [true], pull: [] })
    await new ParallelImageFetcher({ runtime, logger: new MemoryLogger(), minDelayMs: 1 }).ensure(['app:1', 'app:1'])
    expect(calls).toEqual(['has app:1'])
  })

  it('waits out an engine that is restarting while it checks, then pulls what is missing', async () => {
    const { runtime, calls } = engine({ has: [down(), down(), false], pull: [] })
    const logger = new MemoryLogger()
    await new ParallelImageFetcher({ runtime, logger, minDelayMs: 1 }).ensure(['app:1'])
    expect(calls).toEqual(['has app:1', 'has app:1', 'has app:1', 'pull app:1'])
    expect(logger.messages('warn')).toEqual(['image check failed; retrying', 'image check failed; retrying'])
    expect(logger.messages('info')).toEqual(['image pulled'])
  })

  it('retries a failed pull, and stops at once on an image that does not exist', async () => {
    const flaky = engine({ has: [false, false], pull: [new DeckhandError('IMAGE_PULL_FAILED', 'registry said 503', { retryable: true })] })
    await new ParallelImageFetcher({ runtime: flaky.runtime, logger: new MemoryLogger(), minDelayMs: 1 }).ensure(['app:1'])
    expect(flaky.calls).toEqual(['has app:1', 'pull app:1', 'has app:1', 'pull app:1'])

    const missing = engine({ has: [false], pull: [new DeckhandError('IMAGE_NOT_FOUND', 'Image app:9 was not found in its registry; check the image name and tag.')] })
    await expect(new ParallelImageFetcher({ runtime: missing.runtime, logger: new MemoryLogger(), minDelayMs: 1 }).ensure(['app:9'])).rejects.toThrow('Image app:9 was not found')
    expect(missing.calls).toEqual(['has app:9', 'pull app:9'])
  })

  it('keeps the images still missing with their last failure, and forgets those it got', async () => {
    const { runtime } = engine({ has: [false, false, false], pull: [new DeckhandError('IMAGE_PULL_FAILED', 'registry said 503', { retryable: true }), new DeckhandError('IMAGE_PULL_FAILED', 'connection refused', { retryable: true })] })
    const fetcher = new ParallelImageFetcher({ runtime, logger: new MemoryLogger(), minDelayMs: 1, attempts: 2 })
    await expect(fetcher.ensure(['app:1'])).rejects.toThrow('connection refused')
    expect(fetcher.outstanding()).toEqual([{ image: 'app:1', reason: 'connection refused' }])
    await fetcher.ensure(['app:1'])
    expect(fetcher.outstanding()).toEqual([])
  })

  it('gives up after its attempts, with the last error', async () => {
    const { runtime, calls } = engine({ has: [down(), down(), down()], pull: [] })
    await expect(new ParallelImageFetcher({ runtime, logger: new MemoryLogger(), minDelayMs: 1, attempts: 3 }).ensure(['app:1'])).rejects.toThrow('Cannot reach the Docker engine')
    expect(calls).toHaveLength(3)
  })
})
