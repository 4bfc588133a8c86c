import { execFile } from 'node:child_process'
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const unitPath = new URL('../../ami/files/deckhand.service', import.meta.url).pathname

/** The unit's `[Section]` → key → values (a key may repeat), comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section) {
      current = new Map()
      sections.set(section[1] ?? '', current)
      continue
    }
    const eq = line.indexOf('=')
    if (current === undefined || eq < 0) throw new Error(`deckhand.service: cannot read line "${line}"`)
    const key = line.slice(0, eq).trim()
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()])
  }
  return sections
}

// Options that give the unit its own mount namespace, a private /dev or a device policy: each
// would hide the agent's EBS mounts from dockerd or the NVMe devices from the agent.
// MemoryDenyWriteExecute breaks V8's JIT.
const forbiddenService = [
  'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'PrivateMounts', 'PrivateNetwork',
  'PrivateUsers', 'PrivateIPC', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs',
  'ProtectControlGroups', 'ProtectProc', 'ProtectHostname', 'ProtectClock', 'ReadOnlyPaths',
  'ReadWritePaths', 'InaccessiblePaths', 'ExecPaths', 'NoExecPaths', 'TemporaryFileSystem',
  'BindPaths', 'BindReadOnlyPaths', 'RootDirectory', 'RootImage', 'MountFlags', 'DevicePolicy',
  'DeviceAllow', 'MemoryDenyWriteExecute', 'DynamicUser',
]

describe('ami/files/deckhand.service', () => {
  let root: string
  let unit: Map<string, Map<string, string[]>>
  const service = (key: string) => unit.get('Service')?.get(key) ?? []
  const unitSection = (key: string) => unit.get('Unit')?.get(key) ?? []

  beforeAll(async () => {
    unit = parseUnit(await readFile(unitPath, 'utf8'))
    // A root for systemd-analyze with the host's own units, the unit under test and a stand-in
    // for AL2023's node-22, so that verify checks ExecStart instead of failing on a missing file.
    root = await mkdtemp(join(tmpdir(), 'deckhand-unit-'))
    await mkdir(join(root, 'usr/lib/systemd'), { recursive: true })
    await cp('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true })
    await mkdir(join(root, 'etc/systemd/system'), { recursive: true })
    await cp(unitPath, join(root, 'etc/systemd/system/deckhand.service'))
    const node = service('ExecStart')[0]?.split(' ')[0] ?? ''
    await mkdir(join(root, 'usr/bin'), { recursive: true })
    await writeFile(join(root, node), '#!/bin/sh\n')
    await chmod(join(root, node), 0o755)
  })
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true })
  })

  it('passes systemd-analyze verify with nothing on stderr (it exits 0 on unknown keys)', async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', `--root=${root}`, 'deckhand.service'])
    expect(stderr).toBe('')
    expect(stdout).toBe('')
  })

  it('fails verify when a key is unknown, so the empty-stderr check above can fail', async () => {
    const bad = join(root, 'etc/systemd/system/deckhand-bad.service')
    await writeFile(bad, (await readFile(unitPath, 'utf8')).replace('[Service]\n', '[Service]\nProtectSystm=full\n'))
    const { stderr } = await run('systemd-analyze', ['verify', `--root=${root}`, 'deckhand-bad.service'])
    expect(stderr).toContain("Unknown key 'ProtectSystm'")
    await rm(bad)
  })

  it('starts the bundle with Node 22 and restarts on failure but not on a configuration error', () => {
    expect(service('ExecStart')).toEqual(['/usr/bin/node-22 /opt/deckhand/dist/main.js agent'])
    expect(service('Restart')).toEqual(['always'])
    expect(service('RestartSec')).toHaveLength(1)
    expect(service('RestartPreventExitStatus')).toEqual(['78'])
    expect(service('KillMode')).toEqual(['mixed'])
    expect(service('SyslogIdentifier')).toEqual(['deckhand'])
    expect(Number(service('OOMScoreAdjust')[0])).toBeLessThanOrEqual(-500)
  })

  it('gives a drain at least 10 minutes before systemd kills it', () => {
    const match = /^(\d+)min$/.exec(service('TimeoutStopSec')[0] ?? '')
    expect(Number(match?.[1])).toBeGreaterThanOrEqual(10)
  })

  it('wants docker and orders after it, the network and cloud-init, without being bound to docker', () => {
    const words = (values: string[]) => values.flatMap((v) => v.split(/\s+/))
    expect(words(unitSection('Wants'))).toEqual(expect.arrayContaining(['docker.service', 'network-online.target']))
    expect(words(unitSection('After'))).toEqual(expect.arrayContaining(['docker.service', 'network-online.target', 'cloud-final.service']))
    for (const key of ['Requires', 'Requisite', 'PartOf', 'BindsTo']) {
      expect(words([...unitSection(key), ...service(key)]).filter((name) => name.startsWith('docker')), key).toEqual([])
    }
  })

  it('sets none of the options that would hide mounts or devices from the agent or dockerd', () => {
    const present = forbiddenService.filter((key) => service(key).length > 0 || unitSection(key).length > 0)
    expect(present).toEqual([])
  })

  it('is sandboxed with what keeps the host mount namespace, as systemd-analyze security sees it', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--json=short', `--root=${root}`, 'deckhand.service'])
    const checks = new Map((JSON.parse(stdout) as { json_field: string; set: boolean | null }[]).map((c) => [c.json_field, c.set]))
    for (const field of ['NoNewPrivileges', 'RestrictAddressFamilies_AF_PACKET', 'LockPersonality', 'RestrictRealtime', 'UMask', 'RestrictSUIDSGID', 'RestrictNamespaces_mnt', 'RestrictAddressFamilies_OTHER', 'SystemCallArchitectures', 'CapabilityBoundingSet_CAP_SYS_TIME', 'CapabilityBoundingSet_CAP_SYS_MODULE']) {
      expect(checks.get(field), field).toBe(true)
    }
    // What the agent needs: the host's /dev and mount namespace.
    expect(checks.get('PrivateDevices')).toBe(false)
    expect(checks.get('PrivateMounts')).toBe(false)
    // The overall score, 0 (locked) to 10 (exposed), may only get better.
    await expect(run('systemd-analyze', ['security', '--offline=true', '--threshold=70', `--root=${root}`, 'deckhand.service'])).resolves.toBeDefined()
  })
})
