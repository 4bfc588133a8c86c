/** deckhand's http check (src/adapters/health-probe/host-health-probe.ts), as the baselines run it. */
export async function httpHealthy(url: string, timeoutMs = 2_000): Promise<boolean> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const response = await fetch(url, { method: 'GET', redirect: 'manual', signal: controller.signal })
    await response.body?.cancel().catch(() => undefined)
    return response.status >= 200 && response.status < 400
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

/** Probes at once, then every everyMs after each answer, until healthy or the deadline. */
export async function probeUntilHealthy(url: string, everyMs: number, deadlineMs = 60_000): Promise<void> {
  const end = performance.now() + deadlineMs
  while (!(await httpHealthy(url))) {
    if (performance.now() > end) throw new Error(`${url} not healthy within ${deadlineMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
