import { execFile } from 'node:child_process'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error scripts/build.mjs is plain JavaScript with no declarations.
import { bundle, packArtifact } from '../../scripts/build.mjs'
import { DeckhandProcess } from '../support/deckhand-process.js'

/**
 * What the AMI installs at /opt/deckhand (ami/scripts/40-deckhand.sh): the tarball of `npm run
 * build`, unpacked here outside the repository so that nothing resolves from its node_modules.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)
const work = `.tmp/artifact-test-${process.pid}`
const packageJson = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> }
let opt: string
let entry: string

beforeAll(async () => {
  const dist = join(work, 'dist')
  await bundle({ entryPoints: ['src/main.ts'], outdir: dist })
  const archive = (await packArtifact({ dist, outdir: join(work, 'artifact') })) as string
  opt = await mkdtemp(join(tmpdir(), 'deckhand-opt-'))
  await run('tar', ['-xzf', archive, '-C', opt, '--strip-components=1'])
  entry = join(opt, 'dist/main.js')
}, 180_000)

afterAll(async () => {
  await rm(join(ROOT, work), { recursive: true, force: true })
  if (opt) await rm(opt, { recursive: true, force: true })
})

describe('the /opt/deckhand artifact', () => {
  it('prints the package version', async () => {
    const { stdout } = await run(process.execPath, [entry, '--version'], { cwd: opt })
    expect(stdout).toBe(`${packageJson.version}\n`)
  })

  it('validates the example it ships, as the bake validation does', async () => {
    const { stdout } = await run(process.execPath, [entry, 'validate', 'examples/web.yaml', '--version', '1'], { cwd: opt })
    expect(stdout).toMatch(/is valid: 2 containers/)
  })

  it('holds the runtime dependencies at package-lock versions and no development ones', async () => {
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; dev?: boolean }> }
    for (const name of Object.keys(packageJson.dependencies)) {
      const installed = JSON.parse(await readFile(join(opt, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
      expect(installed.version, name).toBe(lock.packages[`node_modules/${name}`]?.version)
    }
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => entry.dev === true && path.startsWith('node_modules/')).map(([path]) => path)
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/vitest', 'node_modules/typescript', 'node_modules/esbuild']))
    const present = await Promise.all(devOnly.map((path) => access(join(opt, path)).then(() => path, () => undefined)))
    expect(present.filter((path) => path !== undefined)).toEqual([])
  })

  it('starts the agent, which loads the AWS SDK from the artifact and logs its version', async () => {
    const state = await mkdtemp(join(tmpdir(), 'deckhand-opt-state-'))
    // IMDS refuses: the agent keeps retrying its identity, long after the line this test reads.
    const agent = new DeckhandProcess(['agent'], { DECKHAND_STATE_DIR: state, AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'eu-west-1' }, { entry })
    try {
      const started = await agent.waitForLog('deckhand agent starting', (l) => l.msg === 'deckhand agent starting')
      expect(started).toMatchObject({ version: packageJson.version })
    } finally {
      agent.signal('SIGKILL')
      await agent.exited
      await rm(state, { recursive: true, force: true })
    }
  })
})
