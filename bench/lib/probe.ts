import { HostHealthProbe } from '../../src/adapters/health-probe/host-health-probe.js'

const probe = new HostHealthProbe()

/** deckhand's own http check, as the baselines run it. */
export async function httpHealthy(url: string, timeoutMs = 2_000): Promise<boolean> {
  return (await probe.probe({ kind: 'http', url }, timeoutMs)).healthy
}

/** Probes at once, then every everyMs after each answer, until healthy or the deadline. */
export async function probeUntilHealthy(url: string, everyMs: number, deadlineMs = 60_000): Promise<void> {
  const end = performance.now() + deadlineMs
  while (!(await httpHealthy(url))) {
    if (performance.now() > end) throw new Error(`${url} not healthy within ${deadlineMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
