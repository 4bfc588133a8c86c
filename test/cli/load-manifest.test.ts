import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadManifestFile } from '../../src/cli/load-manifest.js'
import { validate } from '../../src/cli/validate.js'

describe('loadManifestFile', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-load-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a 50 MB file by its size, without reading it', async () => {
    const file = join(dir, 'huge.yaml')
    await writeFile(file, 'containers: { app: { image: a:1 } }\n')
    await truncate(file, 50_000_000)
    await expect(loadManifestFile(file, undefined)).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: `${file} is 50,000,000 bytes; a manifest may be at most 65,536 bytes (SSM's advanced-parameter limit), so split the service or shorten it.`,
    })
  })

  it('reads no more than the cap from a file that does not say its size', async () => {
    await expect(loadManifestFile('/dev/zero', undefined)).rejects.toMatchObject({ code: 'MANIFEST_INVALID', message: expect.stringMatching(/^\/dev\/zero holds more than 65,536 bytes/) })
    await expect(loadManifestFile(dir, undefined)).rejects.toMatchObject({ code: 'MANIFEST_UNREADABLE', message: `Cannot read the manifest ${dir} (it is a directory); check the path.` })
  })

  it('passes the state dir and the host to the checks', async () => {
    const file = join(dir, 'web.yaml')
    await writeFile(file, 'containers: { app: { image: a:1, volumes: ["/srv/state/x:/x"], resources: { memory: 2Gi } } }\n')
    await expect(loadManifestFile(file, undefined, { stateDir: '/srv/state', host: { cpus: 1, memoryBytes: 1024 ** 3 } })).rejects.toMatchObject({
      message: expect.stringMatching(/^containers\.app\.volumes\[0\]: mounts \/srv\/state\/x, which lies within \/srv\/state .*\ncontainers\.app\.resources\.memory: is 2Gi, more than this instance's 1Gi/),
    })
    expect((await loadManifestFile(file, undefined)).containers[0]!.name).toBe('app')
  })

  it('prints what a manifest holds escaped: an ESC sequence or a newline cannot clear the screen or forge a line', async () => {
    const file = join(dir, 'evil.yaml')
    await writeFile(file, 'containers:\n  "x\\e[2J\\ncontainers.app.image: ok": { image: a:1 }\n')
    const error = await validate(file, {}, () => {}).catch((e: unknown) => e as Error)
    expect((error as Error).message.split('\n')).toEqual([
      'containers.x\\x1b[2J\\x0acontainers.app.image: ok: a container name is 1 to 63 lowercase letters, digits, - and _, starting with a letter or digit',
      `${file} has 1 error; fix it and run deckhand validate ${file} again.`,
    ])
  })
})

describe('deckhand validate: the unit stop timeout', () => {
  it('warns when a drain can outlast the systemd unit TimeoutStopSec', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deckhand-validate-'))
    try {
      const file = join(dir, 'slow.yaml')
      await writeFile(file, 'containers:\n  db: { image: db:1, stopTimeout: 10m }\n  app: { image: app:1, dependsOn: [db], stopTimeout: 5m }\nrollout: { drainDelay: 5m }\n')
      const lines: string[] = []
      expect(await validate(file, {}, (line) => void lines.push(line))).toBe(0)
      expect(lines[1]).toMatch(/^warning: draining this manifest can take up to 20m .* longer than the systemd unit's TimeoutStopSec of 15m/)
      await writeFile(file, 'containers:\n  db: { image: db:1, stopTimeout: 10m }\n  app: { image: app:1, stopTimeout: 5m }\n')
      lines.length = 0
      await validate(file, {}, (line) => void lines.push(line))
      expect(lines).toHaveLength(1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
