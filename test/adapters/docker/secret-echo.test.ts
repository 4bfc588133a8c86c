import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import Dockerode from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DockerRuntime } from '../../../src/adapters/docker/docker-runtime.js'
import { createLogger } from '../../../src/adapters/log/pino-logger.js'
import { isDeckhandError, type DeckhandError } from '../../../src/core/errors.js'
import { oneLine } from '../../../src/core/safe-text.js'
import { testContainerConfig } from '../../support/container-config.js'
import { assertTestEnvironment, images } from '../../support/images.js'

const RUN_ID = randomUUID().slice(0, 8)
const SECRET = `hunter2-${randomUUID()}`

async function failure(promise: Promise<unknown>): Promise<DeckhandError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (!isDeckhandError(error)) throw new Error(`expected a DeckhandError, got ${String(error)}`)
  return error
}

/** Where a failure goes: the log line, status.json's detail and the deckhand:reason tag. */
async function everywhere(error: DeckhandError): Promise<string> {
  let text = ''
  const logger = await createLogger({ destination: new Writable({ write: (chunk: Buffer, _e, done) => { text += chunk.toString(); done() } }) })
  logger.error({ err: error, reason: error.message }, 'container failed')
  return `${text}\n${JSON.stringify({ detail: error.message })}\n${oneLine(error.message)}`
}

describe('a secret that the Docker engine echoes in an error', () => {
  const docker = new Dockerode()
  const runtime = new DockerRuntime({ docker })

  beforeAll(async () => {
    await assertTestEnvironment()
    await runtime.pull(images.sleeper)
  })

  afterAll(async () => {
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`deckhand.test=${RUN_ID}`] } })
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })))
  })

  const config = (suffix: string, overrides: Parameters<typeof testContainerConfig>[2]) =>
    testContainerConfig(`dh-secret-${RUN_ID}-${suffix}`, images.sleeper, { labels: { 'deckhand.test': RUN_ID }, env: { DB_PASSWORD: SECRET }, ...overrides })

  it('is blanked from a start error, which echoes the command, before any log, status or tag sees it', async () => {
    const id = await runtime.create(config('start', { command: [`/bin/${SECRET}`] }))
    const error = await failure(runtime.start(id))
    // The engine did echo it: the raw cause carries the secret, the DeckhandError does not.
    expect(String((error.cause as Error).message)).toContain(SECRET)
    expect(error.message).toMatch(/^Container [0-9a-f]{12} failed to start: .*\/bin\/\*\*\*.*no such file or directory\.$/)
    expect(await everywhere(error)).not.toContain(SECRET)
  })

  it('is blanked from a create error, which echoes a mount', async () => {
    const error = await failure(runtime.create(config('create', { tmpfs: [{ target: `relative-${SECRET}` }] })))
    expect(String((error.cause as Error).message)).toContain(SECRET)
    expect(error.message).toMatch(/^Docker rejected container dh-secret-.*relative-\*\*\*/)
    expect(await everywhere(error)).not.toContain(SECRET)
  })
})
