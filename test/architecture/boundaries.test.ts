import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const run = promisify(execFile)

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name))
}

describe('architecture', () => {
  it('keeps src/core pure: no Docker, AWS, cron, timers or I/O beyond hashing', async () => {
    const offenders: string[] = []
    for (const file of await sources('src/core')) {
      const text = await readFile(file, 'utf8')
      for (const match of text.matchAll(/(?:from|import\()\s*'([^']+)'/g)) {
        const target = match[1] ?? ''
        const allowed = target.startsWith('.') || ['zod', 'yaml', 'node:crypto'].includes(target)
        if (!allowed) offenders.push(`${file.slice(ROOT.length)} imports ${target}`)
      }
      if (/\bset(Timeout|Interval|Immediate)\(/.test(text)) offenders.push(`${file.slice(ROOT.length)} uses a timer; take a Scheduler`)
    }
    expect(offenders).toEqual([])
  })

  it('keeps the AWS SDK inside src/adapters/aws', async () => {
    const offenders: string[] = []
    for (const file of await sources('src')) {
      if (file.includes('/src/adapters/aws/')) continue
      const text = await readFile(file, 'utf8')
      if (/from '@aws-sdk\/|import\('@aws-sdk\//.test(text)) offenders.push(file.slice(ROOT.length))
    }
    expect(offenders).toEqual([])
  })

  it('loads no AWS SDK for validate, status or up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deckhand-footprint-'))
    try {
      const record = join(dir, 'modules.txt')
      const env = { ...process.env, DECKHAND_RECORD_MODULES: record, DECKHAND_STATE_DIR: dir, DOCKER_HOST: `unix://${dir}/no-docker.sock` }
      const cli = (...args: string[]) => run(process.execPath, ['--import', './test/support/record-resolutions.mjs', '--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, env }).catch((e: { code?: number }) => e)
      await cli('validate', 'examples/web.yaml', '--version', '1')
      await cli('status')
      await cli('up', '-f', 'examples/web.yaml', '--version', '1', '--log-format', 'json')
      const loaded = await readFile(record, 'utf8')
      expect(loaded).toContain('dockerode')
      expect(loaded).not.toContain('@aws-sdk')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
