import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SystemdHostShutdown } from '../../../src/adapters/host/systemd-host-shutdown.js'

/** A stand-in for systemctl that prints a system state and exits as systemctl does (0 only for running). */
async function fakeSystemctl(dir: string, state: string, code: number): Promise<string> {
  const path = join(dir, `systemctl-${state}`)
  await writeFile(path, `#!/bin/sh\n[ "$1" = is-system-running ] || exit 64\necho ${state}\nexit ${code}\n`)
  await chmod(path, 0o755)
  return path
}

describe('SystemdHostShutdown', () => {
  let dir = ''
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('is shutting down only when systemd says stopping', async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-systemctl-'))
    expect(await new SystemdHostShutdown({ command: await fakeSystemctl(dir, 'stopping', 1) }).isShuttingDown()).toBe(true)
    expect(await new SystemdHostShutdown({ command: await fakeSystemctl(dir, 'running', 0) }).isShuttingDown()).toBe(false)
    expect(await new SystemdHostShutdown({ command: await fakeSystemctl(dir, 'degraded', 1) }).isShuttingDown()).toBe(false)
  })

  it('without systemd, or without an answer, a stop is not a shutdown', async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-systemctl-'))
    expect(await new SystemdHostShutdown({ command: join(dir, 'no-such-systemctl') }).isShuttingDown()).toBe(false)
    const hanging = join(dir, 'hanging')
    await writeFile(hanging, '#!/bin/sh\nexec sleep 30\n')
    await chmod(hanging, 0o755)
    expect(await new SystemdHostShutdown({ command: hanging, timeoutMs: 200 }).isShuttingDown()).toBe(false)
  })
})
