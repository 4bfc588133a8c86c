import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Dockerode from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeckhandProcess } from '../support/deckhand-process.js'
import { waitFor } from '../support/wait.js'

/**
 * The artifact the README runs: `npm run build` (scripts/build.mjs, an esbuild bundle with
 * dockerode and the AWS SDK left in node_modules), built here into .tmp/ and run as node runs
 * dist/main.js. The other end-to-end tests run src/ through tsx; this one proves the bundle.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)
const outdir = `.tmp/built-test-${process.pid}`
const entry = join(ROOT, outdir, 'main.js')
const service = `built${process.pid}`
const docker = new Dockerode()
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deckhand-built-'))
  await run(process.execPath, ['scripts/build.mjs', outdir], { cwd: ROOT })
}, 120_000)

afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: [`deckhand.service=${service}`] } })
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })))
  await rm(join(ROOT, outdir), { recursive: true, force: true })
  await rm(dir, { recursive: true, force: true })
})

const cli = (args: readonly string[], env: Record<string, string> = {}) =>
  run(process.execPath, [entry, ...args], { cwd: ROOT, env: { ...process.env, DECKHAND_STATE_DIR: dir, ...env } })

describe('the built deckhand', () => {
  it('validates the README example', async () => {
    const { stdout } = await cli(['validate', 'examples/web.yaml', '--version', '1'])
    expect(stdout).toMatch(/^examples\/web\.yaml is valid: 2 containers \(web → worker\), revision [0-9a-f]{12}\n$/)
  })

  it('runs the README example until every container is healthy, then drains on SIGTERM and exits 0', async () => {
    const agent = new DeckhandProcess(['up', '-f', 'examples/web.yaml', '--version', '1', '--service', service, '--log-format', 'json'], { DECKHAND_STATE_DIR: dir }, { entry })
    try {
      await agent.waitForLog('instance ready', (l) => l.msg === 'instance ready')
      const running = await docker.listContainers({ filters: { label: [`deckhand.service=${service}`] } })
      expect(running.map((c) => c.Labels['deckhand.container']).sort()).toEqual(['web', 'worker'])
      // The state is logged as it changes; the status file follows at the end of that pass.
      await waitFor('the status file to say ready', async () => (JSON.parse(await readFile(join(dir, 'status.json'), 'utf8')) as { state: string }).state === 'ready')
    } finally {
      agent.signal('SIGTERM')
    }
    expect(await agent.exited).toBe(0)
    expect(agent.indexOf((l) => l.msg === 'drained; every container is stopped')).toBeGreaterThan(-1)
  })

  it('writes readable lines for a terminal (pino-pretty, loaded lazily from the bundle)', async () => {
    const agent = new DeckhandProcess(['up', '-f', 'examples/web.yaml', '--version', '1', '--service', service, '--log-format', 'pretty'], { DECKHAND_STATE_DIR: dir }, { entry })
    try {
      const line = await agent.waitForLog('a readable ready line', (l) => l.level === 'raw' && l.msg.includes('instance ready'))
      expect(line.msg).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\]/)
    } finally {
      agent.signal('SIGTERM')
    }
    expect(await agent.exited).toBe(0)
  })

  it('loads no AWS SDK for validate, status or up, and loads it for agent', async () => {
    const record = join(dir, 'modules.txt')
    const traced = (args: readonly string[], env: Record<string, string>) =>
      run(process.execPath, ['--import', './test/support/record-resolutions.mjs', entry, ...args], {
        cwd: ROOT,
        env: { ...process.env, DECKHAND_RECORD_MODULES: record, DECKHAND_STATE_DIR: dir, ...env },
      }).catch((e: unknown) => e)
    const noDocker = { DOCKER_HOST: `unix://${dir}/no-docker.sock` }
    await traced(['validate', 'examples/web.yaml', '--version', '1'], noDocker)
    await traced(['status'], noDocker)
    await traced(['up', '-f', 'examples/web.yaml', '--version', '1', '--log-format', 'json'], noDocker)
    const loaded = await readFile(record, 'utf8')
    // dockerode itself comes through require(), which this hook does not see; its chunk does not.
    expect(loaded).toContain(`${outdir}/chunks/docker-`)
    expect(loaded).not.toContain('@aws-sdk')

    // The agent's chunk loads the SDK and runs: with no instance metadata service it says what it waits for.
    const agentRecord = join(dir, 'agent-modules.txt')
    const agent = new DeckhandProcess(
      ['agent'],
      {
        DECKHAND_STATE_DIR: dir,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
        AWS_REGION: 'eu-west-1',
        NODE_OPTIONS: '--import ./test/support/record-resolutions.mjs',
        DECKHAND_RECORD_MODULES: agentRecord,
      },
      { entry },
    )
    try {
      const waiting = await agent.waitForLog('waiting for IMDS', (l) => l.msg === 'waiting for the instance identity from IMDS')
      expect(waiting['reason']).toBe('Cannot reach the instance metadata service at http://127.0.0.1:9 (ECONNREFUSED); deckhand runs only on EC2, or with AWS_EC2_METADATA_SERVICE_ENDPOINT set.')
    } finally {
      await agent.stop()
    }
    expect(await readFile(agentRecord, 'utf8')).toContain('/node_modules/@aws-sdk/client-auto-scaling/')
  })
})
