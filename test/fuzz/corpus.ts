/**
 * Every hostile input named in issue 16 (and the manifest parts of issue 11 item 7), as data:
 * the regression tests run each through the parser, and the fuzz properties mutate them.
 * `rejectedAt` is a pattern the path of at least one issue must match.
 */
export interface CorpusCase {
  readonly category: 'host paths' | 'own keys' | 'numbers' | 'aliases' | 'size and time' | 'output' | 'version'
  readonly name: string
  readonly text: string
  readonly version?: string
  readonly rejectedAt: RegExp
}

const mount = (source: string, extra = '') => `containers:\n  app:\n    image: a:1\n    volumes: ["${source}:/mnt"]\n${extra}`
const app = (fields: string) => `containers:\n  app:\n    image: a:1\n${fields}`

const HOST_PATHS = [
  '//var/run/docker.sock', '/var/run/../run/docker.sock', '/.', '/tmp/..', '/proc/1/root', '/proc', '/sys', '/dev',
  '/etc', '/root', '/boot', '/var/lib/docker', '/var/lib/containerd', '/var/lib/deckhand', '/var/lib/deckhand/volumes/web',
  '/run/containerd/containerd.sock', '/var/lib', '/srv/./../var/run/docker.sock',
]

export const CORPUS: readonly CorpusCase[] = [
  ...HOST_PATHS.map((path) => ({ category: 'host paths' as const, name: `mounts ${path}`, text: mount(path), rejectedAt: /^containers\.app\.volumes\[0\]$/ })),
  { category: 'host paths', name: '${version} of ../.. mounts /', text: mount('/srv/app/${version}'), version: '../..', rejectedAt: /./ },
  { category: 'version', name: 'a version with a slash', text: app(''), version: 'a/b', rejectedAt: /^\(version\)$/ },
  { category: 'version', name: 'a version with a control character', text: 'containers:\n  app:\n    image: a:${version}\n', version: '1\u001b[2J', rejectedAt: /./ },
  { category: 'own keys', name: 'an undeclared volume named constructor', text: mount('constructor'), rejectedAt: /^containers\.app\.volumes\[0\]$/ },
  { category: 'own keys', name: 'an undeclared volume named toString', text: mount('toString'), rejectedAt: /^containers\.app\.volumes\[0\]$/ },
  { category: 'own keys', name: 'a __proto__ volume declaration', text: `${mount('scratch')}volumes:\n  scratch: { tmpfs: { size: 64Mi } }\n  __proto__: { instance: {} }\n`, rejectedAt: /__proto__/ },
  { category: 'own keys', name: 'a __proto__ env key', text: app('    env: { __proto__: "x" }\n'), rejectedAt: /__proto__/ },
  { category: 'numbers', name: 'memory 0.4 bytes', text: app('    resources: { memory: 0.4 }\n'), rejectedAt: /^containers\.app\.resources\.memory$/ },
  { category: 'numbers', name: 'memory 1Mi, under Docker\'s 6 MiB floor', text: app('    resources: { memory: 1Mi }\n'), rejectedAt: /^containers\.app\.resources\.memory$/ },
  { category: 'numbers', name: 'a 400-digit memory string', text: app(`    resources: { memory: "${'9'.repeat(400)}Mi" }\n`), rejectedAt: /^containers\.app\.resources\.memory$/ },
  { category: 'numbers', name: 'a 400-digit tmpfs size', text: `${mount('s')}volumes:\n  s: { tmpfs: { size: "${'9'.repeat(400)}Ki" } }\n`, rejectedAt: /^volumes\.s\.tmpfs\.size$/ },
  { category: 'numbers', name: 'a tmpfs size of 0.4', text: `${mount('s')}volumes:\n  s: { tmpfs: { size: 0.4 } }\n`, rejectedAt: /^volumes\.s\.tmpfs\.size$/ },
  { category: 'numbers', name: 'bootDeadline 600h', text: app('rollout: { bootDeadline: 600h }\n'), rejectedAt: /^rollout\.bootDeadline$/ },
  { category: 'numbers', name: 'bootDeadline 0s', text: app('rollout: { bootDeadline: 0s }\n'), rejectedAt: /^rollout\.bootDeadline$/ },
  { category: 'numbers', name: 'drainDelay 600h', text: app('rollout: { drainDelay: 600h }\n'), rejectedAt: /^rollout\.drainDelay$/ },
  { category: 'numbers', name: 'warmup 600h', text: app('rollout: { warmup: 600h }\n'), rejectedAt: /^rollout\.warmup$/ },
  { category: 'numbers', name: 'health interval 600h', text: app('    health: { tcp: 80, interval: 600h }\n'), rejectedAt: /^containers\.app\.health\.interval$/ },
  { category: 'numbers', name: 'health interval 0s', text: app('    health: { tcp: 80, interval: 0s }\n'), rejectedAt: /^containers\.app\.health\.interval$/ },
  { category: 'numbers', name: 'health timeout 0s', text: app('    health: { tcp: 80, timeout: 0s }\n'), rejectedAt: /^containers\.app\.health\.timeout$/ },
  { category: 'numbers', name: 'stopTimeout 600h', text: app('    stopTimeout: 600h\n'), rejectedAt: /^containers\.app\.stopTimeout$/ },
  { category: 'numbers', name: 'crashLoop within 0s', text: app('    restart: { crashLoop: { within: 0s } }\n'), rejectedAt: /^containers\.app\.restart\.crashLoop\.within$/ },
  { category: 'numbers', name: 'maxUnavailable "0%"', text: app('rollout: { maxUnavailable: "0%" }\n'), rejectedAt: /^rollout\.maxUnavailable$/ },
  { category: 'numbers', name: 'maxUnavailable "0.5%"', text: app('rollout: { maxUnavailable: "0.5%" }\n'), rejectedAt: /^rollout\.maxUnavailable$/ },
  { category: 'numbers', name: 'maxUnavailable "101%"', text: app('rollout: { maxUnavailable: "101%" }\n'), rejectedAt: /^rollout\.maxUnavailable$/ },
  { category: 'aliases', name: 'an alias bomb', text: aliasBomb(9), rejectedAt: /./ },
  { category: 'aliases', name: 'amplification under yaml\'s own alias limit', text: amplification(), rejectedAt: /./ },
  { category: 'aliases', name: 'an alias cycle', text: 'containers: &a\n  app: { image: a:1, env: { X: *a } }\n', rejectedAt: /./ },
  { category: 'aliases', name: 'an undefined alias', text: 'containers:\n  app: { image: *nowhere }\n', rejectedAt: /./ },
  { category: 'size and time', name: 'a manifest over the size cap', text: `${app('')}# ${'x'.repeat(70_000)}\n`, rejectedAt: /^\(manifest\)$/ },
  { category: 'size and time', name: '1: beside "1":', text: app('    env: { X: "1" }\nvolumes:\n  1: { instance: {} }\n  "1": { instance: {} }\n'), rejectedAt: /./ },
  { category: 'output', name: 'an ESC sequence in a container name', text: 'containers:\n  "app\\e[2J": { image: a:1 }\n', rejectedAt: /./ },
  { category: 'output', name: 'a newline forging a line', text: 'containers:\n  "app\\ncontainers.web.image: fine": { image: a:1 }\n', rejectedAt: /./ },
  { category: 'output', name: 'a right-to-left override in a value', text: 'containers:\n  app: { image: a:1, volumes: ["nope\\u202e:/x"] }\n', rejectedAt: /./ },
]

/** Each level names the previous one 10 times: 10^levels strings from a few hundred bytes. */
export function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 ["lol"]']
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`)
  return `${lines.join('\n')}\ncontainers:\n  app: { image: a:1, command: *a${levels} }\n`
}

/** 99 aliases, within yaml's own limit of 100, copy one container of 600 arguments into 100 valid ones. */
export function amplification(): string {
  const args = Array.from({ length: 600 }, (_, i) => `a${i}`).join(', ')
  const copies = Array.from({ length: 99 }, (_, i) => `  c${i + 1}: *c`).join('\n')
  return `containers:\n  c0: &c { image: a:1, command: [${args}] }\n${copies}\n`
}
