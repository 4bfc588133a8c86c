import pLimit from 'p-limit'
import pRetry, { AbortError } from 'p-retry'
import { isDeckhandError } from '../../core/errors.js'
import type { ContainerRuntime } from '../../ports/container-runtime.js'
import type { ImageFetcher } from '../../ports/image-fetcher.js'
import type { Logger } from '../../ports/logger.js'

export interface ParallelImageFetcherOptions {
  readonly runtime: ContainerRuntime
  readonly logger: Logger
  /** Pulls at once. Default 4: enough to fill a link, few enough not to trip registry limits. */
  readonly concurrency?: number
  /** Attempts per image. Default 8, from 1 s doubling with jitter up to 30 s: about a minute and a half of outage. */
  readonly attempts?: number
  readonly minDelayMs?: number
}

/**
 * Pulls every image that is not already present, in parallel with bounded concurrency and
 * retries. An image already on the engine is not pulled again: deckhand's images are meant to
 * be versioned tags (`${version}`), fixed for an instance's life. A missing image is permanent
 * (no retry); anything else (network, registry 5xx, throttling) is retried.
 */
export class ParallelImageFetcher implements ImageFetcher {
  /** Images asked for and not present yet, with the last failure of each. */
  readonly #outstanding = new Map<string, string | undefined>()

  constructor(private readonly options: ParallelImageFetcherOptions) {}

  outstanding(): readonly { readonly image: string; readonly reason?: string }[] {
    return [...this.#outstanding].map(([image, reason]) => (reason === undefined ? { image } : { image, reason }))
  }

  async ensure(images: readonly string[], signal?: AbortSignal): Promise<void> {
    const { runtime, logger } = this.options
    const limit = pLimit(this.options.concurrency ?? 4)
    await Promise.all(
      [...new Set(images)].map((image) =>
        limit(async () => {
          let started: number | undefined
          this.#outstanding.set(image, this.#outstanding.get(image))
          await pRetry(
            async () => {
              try {
                // The check is inside the retry too: a daemon restarting under the boot is waited for.
                if (await runtime.hasImage(image, signal)) return
                started ??= Date.now()
                await runtime.pull(image, signal)
              } catch (error) {
                if (isDeckhandError(error) && !error.retryable) throw new AbortError(error)
                throw error
              }
            },
            {
              retries: (this.options.attempts ?? 8) - 1,
              minTimeout: this.options.minDelayMs ?? 1_000,
              maxTimeout: 30_000,
              factor: 2,
              randomize: true,
              ...(signal ? { signal } : {}),
              onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
                this.#outstanding.set(image, error.message)
                if (retriesLeft > 0) logger.warn({ image, attempt: attemptNumber, reason: error.message }, started === undefined ? 'image check failed; retrying' : 'pull failed; retrying')
              },
            },
          )
          this.#outstanding.delete(image)
          if (started === undefined) return
          logger.info({ image, ms: Date.now() - started }, 'image pulled')
        }),
      ),
    )
  }
}
