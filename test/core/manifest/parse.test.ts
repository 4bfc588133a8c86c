import { describe, expect, it } from 'vitest'
import { parseManifest, withRevision, type DesiredState, type ParseOptions } from '../../../src/core/manifest/index.js'

const SPEC_EXAMPLE = `
containers:
  proxy:
    image: 1234.dkr.ecr.eu-west-1.amazonaws.com/proxy:\${version}
    dependsOn: [app]
    health: { http: "http://127.0.0.1:8080/healthz" }
  app:
    image: registry.example/app:\${version}
    command: ["node", "server.js"]
    env:
      PORT: "3000"
      DB_PASSWORD: { ssm: /deckhand/web/secrets/db-password }
    network: host
    volumes: ["data:/var/lib/app", "/etc/ssl/certs:/etc/ssl/certs:ro"]
    resources: { cpu: "50%", memory: "60%" }
    health: { tcp: 3000, interval: 5s, timeout: 2s, retries: 3, startPeriod: 30s }
    stopTimeout: 30s
    restart: { crashLoop: { restarts: 5, within: 10m } }
    logging: { driver: json-file, options: { max-size: 10m, max-file: "3" } }
volumes:
  data: { ebs: { size: 100, type: gp3, filesystem: ext4 } }
rollout:
  maxUnavailable: 1
  bootDeadline: 10m
  drainDelay: 0s
  warmup: 0s
logging: { driver: local, options: { max-size: 20m, max-file: "5" } }
`

function ok(text: string, version?: string): DesiredState {
  const result = parseManifest(text, { version })
  if (!result.ok) throw new Error(`expected a valid manifest, got:\n${result.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`)
  return withRevision(result.manifest)
}

function issues(text: string, version?: string, options: Omit<ParseOptions, 'version'> = {}): string[] {
  const result = parseManifest(text, { version, ...options })
  if (result.ok) throw new Error('expected the manifest to be rejected')
  return result.issues.map((i) => `${i.path}: ${i.message}`)
}

describe('parseManifest', () => {
  it('parses the SPEC example into a typed desired state in dependency order', () => {
    const state = ok(SPEC_EXAMPLE, '1.2.3')
    expect(state.containers.map((c) => c.name)).toEqual(['app', 'proxy'])
    const app = state.containers[0]!
    expect(app.image).toBe('registry.example/app:1.2.3')
    expect(app.env).toEqual({ PORT: '3000', DB_PASSWORD: { ssm: '/deckhand/web/secrets/db-password' } })
    expect(app.health).toEqual({ check: { kind: 'tcp', port: 3000 }, intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 30_000 })
    expect(app.mounts).toEqual([
      { source: { kind: 'volume', name: 'data' }, target: '/var/lib/app', readOnly: false },
      { source: { kind: 'host', path: '/etc/ssl/certs' }, target: '/etc/ssl/certs', readOnly: true },
    ])
    expect(app.resources).toEqual({ cpu: { kind: 'percent', value: 50 }, memory: { kind: 'percent', value: 60 } })
    expect(app.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } })
    expect(state.containers[1]!.logging).toEqual({ driver: 'local', options: { 'max-size': '20m', 'max-file': '5' } })
    expect(state.volumes.data).toEqual({ kind: 'ebs', sizeGiB: 100, type: 'gp3', filesystem: 'ext4' })
    expect(state.rollout).toEqual({ maxUnavailable: 1, bootDeadlineMs: 600_000, drainDelayMs: 0, warmupMs: 0 })
    expect(state.parameters).toEqual(['/deckhand/web/secrets/db-password'])
    expect(Object.isFrozen(state.containers[0]!.env)).toBe(true)
  })

  it('applies safe defaults: host network, bounded local logs, 30 s stop timeout, 5 restarts in 10 m', () => {
    const [c] = ok('containers: { app: { image: "busybox:1" } }').containers
    expect(c).toMatchObject({
      network: 'host',
      stopTimeoutMs: 30_000,
      privileged: false,
      logging: { driver: 'local', options: { 'max-size': '20m', 'max-file': '5' } },
      crashLoop: { restarts: 5, withinMs: 600_000 },
    })
  })

  it('reads JSON as well as YAML, to the same revision', () => {
    const yaml = ok('containers:\n  app:\n    image: a:1\n    env: { A: "1" }\n')
    const json = ok(JSON.stringify({ containers: { app: { env: { A: '1' }, image: 'a:1' } } }))
    expect(json.revision).toBe(yaml.revision)
    expect(yaml.revision).toMatch(/^[0-9a-f]{12}$/)
  })

  it('gives a new revision for a new version or a new parameter version, never from values', () => {
    const text = 'containers: { app: { image: "a:${version}", env: { S: { ssm: /x } } } }'
    const v1 = parseManifest(text, { version: '1' })
    const v2 = parseManifest(text, { version: '2' })
    if (!v1.ok || !v2.ok) throw new Error('invalid')
    expect(withRevision(v1.manifest, { '/x': 1 }).revision).not.toBe(withRevision(v2.manifest, { '/x': 1 }).revision)
    expect(withRevision(v1.manifest, { '/x': 1 }).revision).not.toBe(withRevision(v1.manifest, { '/x': 2 }).revision)
    expect(withRevision(v1.manifest, { '/x': 1 }).revision).toBe(withRevision(v1.manifest, { '/x': 1 }).revision)
  })

  it('names the exact path of every error at once', () => {
    const found = issues(`
containers:
  app:
    image: a:1
    resources: { memory: lots }
    helth: { tcp: 3000 }
    volumes: ["cache:relative/path", "missing:/data"]
    dependsOn: [db]
    stopTimeout: 30
`)
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^containers\.app\.resources\.memory: "lots" is not a memory size/),
        expect.stringMatching(/^containers\.app\.helth: is not a known key/),
        expect.stringMatching(/^containers\.app\.stopTimeout: /),
      ]),
    )
  })

  it('takes a tmpfs size in bytes and refuses a percent, which Docker would not honour', () => {
    expect(issues(`
containers:
  app: { image: a:1, volumes: ["scratch:/scratch"] }
volumes:
  scratch: { tmpfs: { size: 10% } }
`)).toEqual(['volumes.scratch.tmpfs.size: "10%" is not a size; write it like 64Mi or 1Gi (a tmpfs size takes no percent)'])
    const parsed = parseManifest('containers:\n  app: { image: a:1, volumes: ["scratch:/scratch"] }\nvolumes:\n  scratch: { tmpfs: { size: 64Mi } }\n')
    expect(parsed.ok && parsed.manifest.volumes['scratch']).toEqual({ kind: 'tmpfs', sizeBytes: 64 * 1024 * 1024 })
  })

  it('rejects cross-field mistakes with their paths', () => {
    const found = issues(`
containers:
  app:
    image: a:1
    volumes: ["cache:relative/path", "missing:/data"]
    dependsOn: [db]
    resources: { cpu: "60%" }
  web:
    image: b:1
    resources: { cpu: "50%" }
    ports: ["8080:80"]
`)
    expect(found).toEqual([
      'containers.app.dependsOn[0]: names no container "db"; use one of: app, web',
      'containers.app.volumes[0]: the container path "relative/path" is relative; container paths must be absolute',
      'containers.app.volumes[1]: names no volume "missing"; declare it under volumes:, or use an absolute host path',
      "containers.web.ports: publishing ports needs network: bridge (this container uses host, where it listens on the instance's own ports)",
      'containers.*.resources.cpu: shares add up to 110% (app 60%, web 50%); together they may use at most 100% of the instance',
    ])
  })

  it('finds dependency cycles', () => {
    expect(issues('containers: { a: { image: x, dependsOn: [b] }, b: { image: x, dependsOn: [c] }, c: { image: x, dependsOn: [a] } }')).toEqual([
      'containers.a.dependsOn: has a dependency cycle (a → b → c → a); remove one of these dependsOn entries',
    ])
  })

  it('refuses to hand a container the host unless it says privileged: true', () => {
    const text = (privileged: boolean) => `
containers:
  agent:
    image: a:1
    privileged: ${privileged}
    pid: host
    volumes: ["/var/run/docker.sock:/var/run/docker.sock", "/:/host:ro"]
`
    expect(issues(text(false))).toHaveLength(3)
    expect(ok(text(true)).containers[0]!.privileged).toBe(true)
  })

  it('asks for a version when the manifest uses one and none is given, and rejects unknown variables', () => {
    expect(issues('containers: { app: { image: "a:${version}" } }')).toEqual([
      'containers.app.image: uses ${version} but no version was given; pass --version V, or set /deckhand/<service>/version in SSM',
    ])
    expect(issues('containers: { app: { image: "a:${verison}" } }', '1')).toEqual(['containers.app.image: unknown variable ${verison}; only ${version} is replaced'])
  })

  it('reports YAML syntax errors with their line', () => {
    expect(issues('containers:\n  app: { image: a:1\n')[0]).toMatch(/^line \d+, column \d+: /)
  })

  it('rejects an empty manifest or one with no containers', () => {
    expect(issues('')).toEqual(['(manifest): must be a mapping with a `containers` key'])
    expect(issues('containers: {}')).toEqual(['containers: needs at least one container'])
    expect(issues('volumes: {}')).toEqual(['containers: is required'])
  })

  it('parses cmd health checks, string commands and percentage rollouts', () => {
    const state = ok(`
containers:
  app:
    image: a:1
    command: "echo hi && sleep 5"
    health: { cmd: "test -f /tmp/ok" }
rollout: { maxUnavailable: "25%" }
`)
    expect(state.containers[0]!.command).toEqual(['/bin/sh', '-c', 'echo hi && sleep 5'])
    expect(state.containers[0]!.health?.check).toEqual({ kind: 'cmd', command: ['/bin/sh', '-c', 'test -f /tmp/ok'] })
    expect(state.rollout.maxUnavailable).toEqual({ percent: 25 })
  })
})

describe('parseManifest on hostile and careless input (issue 16)', () => {
  it('leaves rollout out of the revision: tuning maxUnavailable or bootDeadline rolls nothing', () => {
    const base = 'containers: { app: { image: a:1 } }\nvolumes: { data: { instance: {} } }\n'
    const tuned = ok(`${base}rollout: { maxUnavailable: 3, bootDeadline: 20m, drainDelay: 30s, warmup: 1m }\n`)
    expect(tuned.revision).toBe(ok(base).revision)
    expect(tuned.rollout).toEqual({ maxUnavailable: 3, bootDeadlineMs: 1_200_000, drainDelayMs: 30_000, warmupMs: 60_000 })
    expect(ok('containers: { app: { image: a:2 } }\nvolumes: { data: { instance: {} } }\n').revision).not.toBe(ok(base).revision)
    expect(ok('containers: { app: { image: a:1 } }\nvolumes: { data: { tmpfs: {} } }\n').revision).not.toBe(ok(base).revision)
  })

  it('checks host paths after ${version} is rendered and after . and .. are resolved', () => {
    expect(issues('containers: { app: { image: a:1, volumes: ["/var/lib/${version}:/x"] } }', 'docker')).toEqual([
      'containers.app.volumes[0]: mounts /var/lib/docker, which is /var/lib/docker and hands the container the host; mount a directory of your own, or set privileged: true if the container must own the host',
    ])
    const mounts = ok('containers: { app: { image: a:1, volumes: ["/srv//app/./data/:/data", "/srv/app/../logs:/logs"] } }').containers[0]!.mounts
    expect(mounts.map((m) => m.source)).toEqual([{ kind: 'host', path: '/srv/app/data' }, { kind: 'host', path: '/srv/logs' }])
  })

  it('takes the state dir it is given, and allows CA certificates read-only and system directories only read-only', () => {
    const mount = (source: string) => `containers: { app: { image: a:1, volumes: ["${source}:/m"] } }`
    expect(issues(mount('/srv/deckhand/volumes'), undefined, { stateDir: '/srv/deckhand/' })[0]).toMatch(/lies within \/srv\/deckhand/)
    expect(ok(mount('/var/lib/deckhand-data'))).toBeDefined()
    expect(ok(`${mount('/etc/ssl/certs')}`.replace(':/m"', ':/m:ro"'))).toBeDefined()
    expect(issues(mount('/etc/ssl/certs'))[0]).toMatch(/lies within \/etc/)
    expect(issues(mount('/etc/shadow').replace(':/m"', ':/m:ro"'))[0]).toMatch(/lies within \/etc/)
    expect(ok(mount('/usr/share/zoneinfo').replace(':/m"', ':/m:ro"'))).toBeDefined()
    expect(issues(mount('/usr/local/bin'))[0]).toMatch(/lies within \/usr/)
    expect(ok(mount('/var/run/docker.sock').replace('image: a:1', 'image: a:1, privileged: true'))).toBeDefined()
  })

  it('bounds every duration, naming the field and its bounds', () => {
    const rollout = (text: string) => issues(`containers: { app: { image: a:1 } }\nrollout: { ${text} }`)
    expect(rollout('bootDeadline: 25h')).toEqual(['rollout.bootDeadline: is 25h; it must be at least 1s and at most 24h'])
    expect(rollout('drainDelay: 61m')).toEqual(['rollout.drainDelay: is 61m; it must be at most 1h'])
    expect(rollout(`warmup: ${'9'.repeat(400)}s`)[0]).toMatch(/^rollout\.warmup: is 9{39}…; it must be at most 24h$/)
    expect(ok('containers: { app: { image: a:1, health: { tcp: 80, interval: 100ms, timeout: 1ms } } }').containers[0]!.health).toMatchObject({ intervalMs: 100, timeoutMs: 1 })
  })

  it('bounds memory, CPU and tmpfs sizes, and checks them against the host when it is known', () => {
    const resources = (text: string) => `containers: { app: { image: a:1, resources: { ${text} } } }`
    expect(ok(resources('memory: 6Mi, cpu: 0.01')).containers[0]!.resources).toEqual({ memory: { kind: 'absolute', value: 6 * 1024 ** 2 }, cpu: { kind: 'absolute', value: 0.01 } })
    expect(issues(resources('cpu: 0'))).toEqual(['containers.app.resources.cpu: is 0; CPU must be at least 0.01 and at most 4096'])
    expect(issues(resources('memory: "0%"'))).toEqual(['containers.app.resources.memory: is 0%; memory as a share is more than 0% and at most 100%'])
    const host = { host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 } }
    expect(issues(resources('memory: 8Gi, cpu: 4'), undefined, host)).toEqual([
      "containers.app.resources.memory: is 8Gi, more than this instance's 4Gi; ask for less, or a share such as 60%",
      "containers.app.resources.cpu: is 4 CPUs, more than this instance's 2; ask for fewer, or a share such as 50%",
    ])
    expect(issues('containers: { app: { image: a:1 } }\nvolumes: { t: { tmpfs: { size: 5Gi } } }', undefined, host)).toEqual([
      "volumes.t.tmpfs.size: is 5Gi, more than this instance's memory (4Gi); make it smaller",
    ])
    expect(issues('containers: { app: { image: a:1 } }\nvolumes: { t: { tmpfs: { size: 1023Ki } } }')[0]).toMatch(/^volumes\.t\.tmpfs\.size: is 1023Ki; a tmpfs size must be at least 1Mi/)
  })

  it('takes maxUnavailable as at least 1 instance or 1%', () => {
    expect(ok('containers: { app: { image: a:1 } }\nrollout: { maxUnavailable: "1%" }').rollout.maxUnavailable).toEqual({ percent: 1 })
    expect(issues('containers: { app: { image: a:1 } }\nrollout: { maxUnavailable: 0 }')).toEqual(['rollout.maxUnavailable: is at least 1 instance, or a share like "10%"'])
    expect(issues('containers: { app: { image: a:1 } }\nrollout: { maxUnavailable: [1] }')).toEqual(['rollout.maxUnavailable: expected a number of instances or a share like "10%", got a list'])
  })

  it('keeps own names ordinary: a volume, container or env named like an Object property is just a name', () => {
    const state = ok('containers:\n  constructor: { image: a:1, volumes: ["tostring:/d"], env: { constructor: "1", hasOwnProperty: "2" } }\nvolumes: { tostring: { instance: {} } }\n')
    expect(state.containers[0]!.name).toBe('constructor')
    expect(state.containers[0]!.env).toEqual({ constructor: '1', hasOwnProperty: '2' })
    expect(Object.keys(state.volumes)).toEqual(['tostring'])
  })

  it('never throws, whatever it is given', () => {
    for (const text of ['!!binary aGk=', '? [a, b]\n: c', '--- !!set\n? a', `${'- '.repeat(2000)}x`, '{'.repeat(20_000), '&a [*a]', 'containers: !!str', '\u0000\u001b[2J', '%YAML 9.9\n---\na: 1']) {
      const result = parseManifest(text)
      expect(result.ok).toBe(false)
    }
    expect(parseManifest(undefined as unknown as string).ok).toBe(false)
  })
})
