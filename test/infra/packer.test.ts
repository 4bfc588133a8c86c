import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Block, type HclFile, interpolationOnly, labelled, nested, readHclDir } from './support/hcl.js'

const run = promisify(execFile)
const amiDir = new URL('../../ami', import.meta.url).pathname

/** `packer ARGS` in `cwd`; resolves with the exit code and output rather than throwing. */
async function packer(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('packer', args, { cwd, env: { ...process.env, CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1' } })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

/** A copy of the template without versions.pkr.hcl, whose required_plugins Debian's packer 1.6.6 rejects. */
async function templateWithoutVersions(edit?: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'deckhand-packer-'))
  for (const name of await readdir(amiDir)) {
    if (!name.endsWith('.pkr.hcl') || name === 'versions.pkr.hcl') continue
    const text = await readFile(join(amiDir, name), 'utf8')
    await writeFile(join(dir, name), name === 'deckhand.pkr.hcl' && edit ? edit(text) : text)
  }
  return dir
}

describe('packer (Debian 1.6.6, offline)', () => {
  it('finds the template formatted (packer fmt -check)', async () => {
    expect(await packer(['fmt', '-check', '-diff', '.'], amiDir)).toEqual({ code: 0, output: '' })
  })

  it('passes validate -syntax-only, and fails it on a broken template', async () => {
    const good = await templateWithoutVersions()
    const broken = await templateWithoutVersions((text) => text.replace('build {', 'build {{'))
    try {
      const ok = await packer(['validate', '-syntax-only', '.'], good)
      expect(ok.code, ok.output).toBe(0)
      expect((await packer(['validate', '-syntax-only', '.'], broken)).code).not.toBe(0)
    } finally {
      await rm(good, { recursive: true, force: true })
      await rm(broken, { recursive: true, force: true })
    }
  })
})

describe('ami/ template conventions', () => {
  let files: HclFile[]
  let source: Block
  let build: Block
  beforeAll(async () => {
    files = await readHclDir(amiDir, '.pkr.hcl')
    const sources = labelled(files, 'source', 'amazon-ebs')
    expect(sources).toHaveLength(1)
    source = sources[0]?.body ?? {}
    build = (files.flatMap((f) => (f.doc.build as Block[] | undefined) ?? []))[0] ?? {}
  })

  it('pins the amazon plugin and packer in versions.pkr.hcl', () => {
    const versions = files.find((f) => f.path.endsWith('versions.pkr.hcl'))
    const packerBlock = (versions?.doc.packer as Block[] | undefined)?.[0]
    expect(packerBlock?.required_version).toMatch(/^>= \d+\.\d+/)
    const plugins = nested(packerBlock, 'required_plugins')[0] as Record<string, { source: string; version: string }> | undefined
    expect(plugins?.amazon).toEqual({ source: 'github.com/hashicorp/amazon', version: expect.stringMatching(/^~> \d+\.\d+/) })
  })

  it('types, describes and validates every variable', () => {
    const variables = labelled(files, 'variable')
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['region', 'instance_type', 'subnet_id', 'source_ami_name', 'prepull_images']))
    for (const { name, body } of variables) {
      expect(body.type, name).toBeDefined()
      expect(String(body.description ?? ''), name).toMatch(/\w{3,}.*\./)
      expect(nested(body, 'validation').length, `${name} has a validation block`).toBeGreaterThan(0)
    }
  })

  it('starts from the newest Amazon Linux 2023 minimal owned by Amazon, never a fixed AMI id', () => {
    expect(source.source_ami).toBeUndefined()
    const filter = nested(source, 'source_ami_filter')[0]
    expect(filter?.owners).toEqual(['amazon'])
    expect(filter?.most_recent).toBe(true)
    expect((filter?.filters as Record<string, string>).name).toBe('${var.source_ami_name}')
    const name = labelled(files, 'variable').find((v) => v.name === 'source_ami_name')?.body.default
    expect(name).toMatch(/^al2023-ami-minimal-/)
  })

  it('builds on an IMDSv2-only instance, registers an IMDSv2 AMI on gp3, and writes a manifest', () => {
    expect(nested(source, 'metadata_options')[0]).toMatchObject({ http_tokens: 'required', http_put_response_hop_limit: 1 })
    expect(source.imds_support).toBe('v2.0')
    expect(nested(source, 'launch_block_device_mappings')[0]).toMatchObject({ volume_type: 'gp3', delete_on_termination: true })
    expect(Object.keys((build['post-processor'] as Block | undefined) ?? {})).toContain('manifest')
  })

  it('runs every numbered script once, in order, with the validation last', async () => {
    const shell = nested(build.provisioner as Block, 'shell')[0]
    const listed = (shell?.scripts as string[]).map((s) => s.replace('${path.root}/', ''))
    const onDisk = (await readdir(join(amiDir, 'scripts'))).filter((n) => n.endsWith('.sh')).sort().map((n) => `scripts/${n}`)
    expect(listed).toEqual(onDisk)
    expect(listed.every((s) => /^scripts\/\d{2}-[a-z0-9-]+\.sh$/.test(s))).toBe(true)
    expect(listed.at(-1)).toBe('scripts/99-validate.sh')
  })

  it('has no interpolation-only strings', () => {
    expect(files.flatMap(interpolationOnly)).toEqual([])
  })
})

describe('ami/scripts', () => {
  const script = (name: string) => readFile(join(amiDir, 'scripts', name), 'utf8')

  it('pass shellcheck', async () => {
    const names = (await readdir(join(amiDir, 'scripts'))).map((n) => join(amiDir, 'scripts', n))
    await expect(run('shellcheck', ['--severity=style', ...names, new URL('../../scripts/provision-infra-tools.sh', import.meta.url).pathname])).resolves.toMatchObject({ stdout: '' })
  })

  it('configure dockerd with live-restore and the rotating local log driver', async () => {
    const daemon = /<<'JSON'\n([\s\S]*?)\nJSON/.exec(await script('20-docker.sh'))?.[1]
    expect(JSON.parse(daemon ?? 'null')).toMatchObject({ 'live-restore': true, 'log-driver': 'local' })
  })

  it('turn off package upgrades at boot, install nodejs22 and the unit', async () => {
    expect(await script('10-base.sh')).toMatch(/^repo_upgrade: none$/m)
    expect(await script('30-node.sh')).toMatch(/dnf install -y -q nodejs22/)
    expect(await script('50-unit.sh')).toMatch(/systemctl enable deckhand\.service/)
  })

  it('clean what belongs to the build instance, and validate the result last', async () => {
    const cleanup = await script('90-cleanup.sh')
    for (const step of ['rm -f /etc/ssh/ssh_host_*', 'rm -rf /var/lib/cloud', 'rm -rf /var/log/journal/*', 'truncate -s 0 /etc/machine-id']) expect(cleanup).toContain(step)
    const validate = await script('99-validate.sh')
    for (const step of ['systemd-analyze verify /etc/systemd/system/deckhand.service', 'deckhand --version', 'deckhand validate /opt/deckhand/examples/web.yaml']) expect(validate).toContain(step)
  })

  it('pre-pull only images pinned by digest', async () => {
    const prepull = await script('60-prepull.sh')
    expect(prepull).toContain('@sha256:[0-9a-f]{64}$')
    await cp(join(amiDir, 'scripts/60-prepull.sh'), join(tmpdir(), 'deckhand-prepull.sh'))
    const refused = run('bash', [join(tmpdir(), 'deckhand-prepull.sh')], { env: { PATH: process.env.PATH ?? '', PREPULL_IMAGES: 'registry.example/app:1.0' } })
    await expect(refused).rejects.toMatchObject({ stderr: expect.stringContaining('registry.example/app:1.0 is not pinned by digest') })
  })
})
