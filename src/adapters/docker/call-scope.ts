/**
 * One engine call's signal: the caller's, plus a timeout, both let go when the call ends.
 *
 * Not `AbortSignal.any([caller, AbortSignal.timeout(ms)])`: the supervisor hands every call the
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
