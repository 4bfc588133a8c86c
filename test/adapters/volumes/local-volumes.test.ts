import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalVolumes } from '../../../src/adapters/volumes/local-volumes.js'
import { MemoryLogger } from '../../support/memory-logger.js'

describe('LocalVolumes', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'deckhand-volumes-'))
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('makes an instance volume a directory under <stateDir>/volumes/<service>', async () => {
    const volumes = new LocalVolumes({ stateDir: join(root, 'state'), service: 'web', logger: new MemoryLogger() })
    expect(await volumes.prepare('data', { kind: 'instance' })).toEqual({ kind: 'bind', path: join(root, 'state', 'volumes', 'web', 'data') })
  })

  it('refuses a service name that climbs out of the state dir, and creates nothing', async () => {
    const volumes = new LocalVolumes({ stateDir: join(root, 'state'), service: '../../x', logger: new MemoryLogger() })
    await expect(volumes.prepare('data', { kind: 'instance' })).rejects.toMatchObject({
      code: 'ENVIRONMENT_INVALID',
      message: expect.stringMatching(/^The service name "\.\.\/\.\.\/x" is not allowed; a service name is 1 to 128 letters/),
    })
    expect(await readdir(root)).toEqual([])
  })

  it('refuses a volume name that is a path', async () => {
    const volumes = new LocalVolumes({ stateDir: join(root, 'state'), service: 'web', logger: new MemoryLogger() })
    for (const name of ['..', '../../etc', 'a/b', '']) {
      await expect(volumes.prepare(name, { kind: 'instance' })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' })
    }
    expect(await readdir(root)).toEqual([])
  })
})
