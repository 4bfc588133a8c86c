import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DockerConfigCredentials, registryHost } from '../../../src/adapters/docker/registry-credentials.js'
import { isDeckhandError } from '../../../src/core/errors.js'

describe('registryHost', () => {
  it('finds the registry the way Docker does', () => {
    expect(registryHost('nginx')).toBe('docker.io')
    expect(registryHost('nginx:1.27')).toBe('docker.io')
    expect(registryHost('library/nginx')).toBe('docker.io')
    expect(registryHost('docker.io/library/nginx')).toBe('docker.io')
    expect(registryHost('index.docker.io/library/nginx')).toBe('docker.io')
    expect(registryHost('127.0.0.1:5000/deckhand-test/web:1')).toBe('127.0.0.1:5000')
    expect(registryHost('localhost/app')).toBe('localhost')
    expect(registryHost('1234.dkr.ecr.eu-west-1.amazonaws.com/proxy:2')).toBe('1234.dkr.ecr.eu-west-1.amazonaws.com')
    expect(registryHost('ghcr.io/org/app@sha256:abc')).toBe('ghcr.io')
  })
})

describe('DockerConfigCredentials', () => {
  let dir: string
  let path: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deckhand-creds-'))
    path = join(dir, 'config.json')
    await writeFile(
      path,
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
          'registry.example': { username: 'alice', password: 's3cret' },
          'https://ghcr.io/v2/': { identitytoken: 'tok' },
          'empty.example': {},
        },
        credsStore: 'desktop',
      }),
    )
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("answers Docker Hub images from Docker Hub's key, splitting auth at the first colon", async () => {
    const credentials = new DockerConfigCredentials({ path })
    expect(await credentials.credentialsFor('nginx:1.27')).toEqual({ serverAddress: 'https://index.docker.io/v1/', username: 'hubuser', password: 'hub:pass' })
  })

  it('answers a private registry from username and password, and an identity token', async () => {
    const credentials = new DockerConfigCredentials({ path })
    expect(await credentials.credentialsFor('registry.example/team/app:3')).toEqual({ serverAddress: 'registry.example', username: 'alice', password: 's3cret' })
    expect(await credentials.credentialsFor('ghcr.io/org/app:1')).toEqual({ serverAddress: 'https://ghcr.io/v2/', identityToken: 'tok' })
  })

  it('has nothing for other registries or entries without credentials', async () => {
    const credentials = new DockerConfigCredentials({ path })
    expect(await credentials.credentialsFor('127.0.0.1:5000/deckhand-test/web:1')).toBeUndefined()
    expect(await credentials.credentialsFor('empty.example/app')).toBeUndefined()
  })

  it('has nothing when the file does not exist', async () => {
    const credentials = new DockerConfigCredentials({ path: join(dir, 'missing.json') })
    expect(await credentials.credentialsFor('nginx')).toBeUndefined()
  })

  it('reads $DOCKER_CONFIG when no path is given', async () => {
    const previous = process.env['DOCKER_CONFIG']
    process.env['DOCKER_CONFIG'] = dir
    try {
      expect(await new DockerConfigCredentials().credentialsFor('registry.example/app')).toMatchObject({ username: 'alice' })
    } finally {
      if (previous === undefined) delete process.env['DOCKER_CONFIG']
      else process.env['DOCKER_CONFIG'] = previous
    }
  })

  it('names a config file that is not JSON', async () => {
    const broken = join(dir, 'broken.json')
    await writeFile(broken, '{ "auths": ')
    const error = await new DockerConfigCredentials({ path: broken }).credentialsFor('nginx').catch((e: unknown) => e)
    expect(isDeckhandError(error, 'IMAGE_PULL_FAILED')).toBe(true)
    expect((error as Error).message).toBe(`The Docker config file ${broken} is not valid JSON; fix it or remove it.`)
  })
})
