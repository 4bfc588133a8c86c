import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Which CommonJS files a fresh process has loaded after importing `module` (a path from the repo root). */
async function loadedBy(module: string): Promise<string[]> {
  const script = `import('./${module}').then(() => console.log(JSON.stringify(Object.keys(require.cache))))`
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT })
  return JSON.parse(stdout) as string[]
}

const HEAVY = /[/\\](ssh2|@grpc|protobufjs)[/\\]/

describe('LeanDockerode', () => {
  it('loads dockerode without its BuildKit (gRPC, protobuf) and ssh modules, which plain dockerode loads', async () => {
    const lean = await loadedBy('src/adapters/docker/lean-dockerode.ts')
    expect(lean.some((file) => /[/\\]dockerode[/\\]lib[/\\]docker\.js$/.test(file))).toBe(true)
    expect(lean.filter((file) => HEAVY.test(file))).toEqual([])
    // The stand-ins are needed: this dockerode does load them when left alone.
    const plain = await loadedBy('node_modules/dockerode/lib/docker.js')
    expect(plain.filter((file) => HEAVY.test(file)).length).toBeGreaterThan(0)
  })

  it('says in one sentence that it builds no images, if anything ever asks it to', async () => {
    const { LeanDockerode, BUILD_UNSUPPORTED } = await import('../../../src/adapters/docker/lean-dockerode.js')
    const docker = new LeanDockerode({ socketPath: '/nonexistent/docker.sock' })
    await expect(docker.buildImage({ context: '.', src: [] }, { version: '2' })).rejects.toThrow(BUILD_UNSUPPORTED)
  })
})
