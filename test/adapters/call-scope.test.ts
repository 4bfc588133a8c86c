import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { callScope } from '../../src/adapters/call-scope.js'

describe('callScope', () => {
  it("passes the caller's abort and reason on", () => {
    const caller = new AbortController()
    const scope = callScope(caller.signal, 60_000)
    const reason = new Error('draining')
    caller.abort(reason)
    expect(scope.signal.aborted).toBe(true)
    expect(scope.signal.reason).toBe(reason)
    expect(scope.timedOut).toBe(false)
    scope.dispose()
  })

  it('starts aborted when the caller already is', () => {
    const scope = callScope(AbortSignal.abort('gone'), 60_000)
    expect(scope.signal.reason).toBe('gone')
    scope.dispose()
  })

  it('aborts on its own timeout, and says so', async () => {
    const scope = callScope(undefined, 5)
    await new Promise((resolve) => scope.signal.addEventListener('abort', resolve, { once: true }))
    expect(scope.timedOut).toBe(true)
    expect((scope.signal.reason as DOMException).name).toBe('TimeoutError')
  })

  it("leaves nothing on the caller's long-lived signal once disposed", () => {
    const caller = new AbortController()
    for (let i = 0; i < 100; i++) callScope(caller.signal, 60_000).dispose()
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
  })
})
