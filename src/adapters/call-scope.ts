/**
 * One call's signal (Docker, IMDS, a health probe): the caller's, plus a timeout, both let go
 * when the call ends.
 *
 * Not `AbortSignal.any([caller, AbortSignal.timeout(ms)])`: the agent hands every call the
 * same long-lived signal, and in Node 20 each `any()` stays registered on its sources for good
 * (nodejs/node#55351), which over months of periodic inspects is a steady leak. Here the
 * listener is removed and the timer cleared as soon as the call settles.
 */
export interface CallScope {
  readonly signal: AbortSignal
  /** Whether it was the timeout, not the caller, that aborted. */
  readonly timedOut: boolean
  dispose(): void
}

export function callScope(caller: AbortSignal | undefined, timeoutMs: number): CallScope {
  const controller = new AbortController()
  let timedOut = false
  const onAbort = (): void => controller.abort(caller?.reason)
  caller?.addEventListener('abort', onAbort, { once: true })
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'))
  }, timeoutMs)
  timer.unref()
  if (caller?.aborted === true) onAbort()
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut
    },
    dispose() {
      clearTimeout(timer)
      caller?.removeEventListener('abort', onAbort)
    },
  }
}

/**
 * Waits for a promise others share (so no one caller may cancel it), or rejects with the
 * caller's abort reason as soon as its signal fires.
 */
export function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error as Error)
      },
    )
  })
}
