/**
 * An SDK v3 retry strategy for tests: the SDK still decides what kind of error it saw (its retry
 * middleware classifies THROTTLING, TRANSIENT, SERVER_ERROR, CLIENT_ERROR); this only replaces the
 * standard strategy's backoff (up to 20 s for throttles) with a few milliseconds, and records each
 * classification so a test can assert "the SDK saw a throttle and retried it".
 *
 * Pass it as `retryStrategy` to any client. Typed structurally, to need no @smithy import.
 */
export interface FastRetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>
  refreshRetryTokenForRetry(token: RetryToken, errorInfo: { errorType: string }): Promise<RetryToken>
  recordSuccess(token: RetryToken): void
  /** The SDK's classification of every failed attempt, in order. */
  readonly seen: readonly string[]
}

interface RetryToken {
  getRetryCount(): number
  getRetryDelay(): number
}

export function fastRetryStrategy(options: { maxAttempts?: number; delayMs?: number } = {}): FastRetryStrategy {
  const maxAttempts = options.maxAttempts ?? 3
  const delayMs = options.delayMs ?? 5
  const seen: string[] = []
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delayMs })
  return {
    seen,
    acquireInitialRetryToken: async () => token(0),
    async refreshRetryTokenForRetry(previous, errorInfo) {
      seen.push(errorInfo.errorType)
      const retryable = errorInfo.errorType !== 'CLIENT_ERROR'
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts) throw new Error('no more retries')
      return token(previous.getRetryCount() + 1)
    },
    recordSuccess: () => undefined,
  }
}
