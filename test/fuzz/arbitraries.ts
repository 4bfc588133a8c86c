import fc from 'fast-check'
import { stringify } from 'yaml'
import { CORPUS } from './corpus.js'

/**
 * Generated and mutated manifests, each labelled with the category of hostile input it carries
 * (issue 16): host paths, own keys, numbers, durations, aliases, duplicates, output, version,
 * raw text, near the size cap, and mutations of the regression corpus and of valid manifests.
 */
export interface FuzzCase {
  readonly category: string
  readonly text: string
  readonly version?: string
}

const CONTROLS = ['\u0000', '\u001b[2J', '\r', '\n', '\u202e', '\u2028', '\u0085', '\t', '\u200f', '\u2066', '\u007f']
const OWN_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf']
const UNITS = ['', 'ms', 's', 'm', 'h', 'Ki', 'Mi', 'Gi', 'Ti', 'K', 'M', 'G', 'b', '%', 'd', ' s']
const SEGMENTS = ['', '.', '..', 'var', 'run', 'docker.sock', 'proc', '1', 'root', 'etc', 'ssl', 'certs', 'srv', 'app', 'lib', 'docker', 'containerd', 'containerd.sock', 'deckhand', 'volumes', 'usr', 'bin', 'sys', 'dev', 'boot', 'tmp', '${version}', 'home', 'data']
const VERSIONS = ['1.4.3', '../..', '..', 'a/b', 'docker', 'lib', 'run', '1\u001b[2J', '', 'x'.repeat(200), 'sha256:abc', '.', '_x', 'v1..2', '1.0+build.7', '/', '1\n2']

/** An object whose keys are all own properties, `__proto__` included, so JSON and YAML write them out. */
function own(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true })
  return out
}

const benignName = fc.constantFrom('app', 'web', 'db', 'x1', 'a-b', 'a_b', 'proxy')
const hostileText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...CONTROLS), fc.string({ maxLength: 6 })).map((parts) => parts.join('')),
)
const name = fc.oneof({ weight: 3, arbitrary: benignName }, { weight: 2, arbitrary: fc.constantFrom(...OWN_NAMES) }, { weight: 1, arbitrary: hostileText })
const bigDigits = fc.integer({ min: 1, max: 400 }).map((n) => '9'.repeat(n))
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, 0.4, -1, 1e400, Number.MAX_SAFE_INTEGER + 2, 6 * 1024 ** 2 - 1, 2 ** 31))
const numeral = fc.oneof(fc.nat().map(String), fc.double({ min: 0, max: 1e6, noNaN: true }).map(String), bigDigits, fc.constantFrom('0', '0.4', '0.0', '1e3', '-5', '.5'))
const quantity = fc.oneof(number, fc.tuple(numeral, fc.constantFrom(...UNITS)).map(([n, u]) => `${n}${u}`), fc.string({ maxLength: 8 }))
const duration = fc.oneof({ weight: 4, arbitrary: fc.tuple(numeral, fc.constantFrom(...UNITS)).map(([n, u]) => `${n}${u}`) }, { weight: 1, arbitrary: number }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) })
const hostPath = fc.tuple(fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 6 }), fc.boolean()).map(([segments, trailing]) => `/${segments.join('/')}${trailing ? '/' : ''}`)
const version = fc.oneof(fc.constantFrom(...VERSIONS), fc.string({ maxLength: 20 }))

interface Pools {
  readonly name: fc.Arbitrary<string>
  readonly image: fc.Arbitrary<string>
  readonly envName: fc.Arbitrary<string>
  readonly memory: fc.Arbitrary<unknown>
  readonly cpu: fc.Arbitrary<unknown>
  readonly duration: fc.Arbitrary<unknown>
  readonly mount: fc.Arbitrary<string>
  readonly envValue: fc.Arbitrary<unknown>
}

const benign: Pools = {
  name: benignName,
  image: fc.constantFrom('a:1', 'registry.example/app:${version}', 'busybox@sha256:abc'),
  envName: fc.constantFrom('PORT', 'A', 'x_1', 'DB_URL'),
  memory: fc.constantFrom('512Mi', '50%', '1Gi', '10%', 268435456),
  cpu: fc.constantFrom(1, 0.5, '50%', '2'),
  duration: fc.constantFrom('5s', '1m', '1s', '10m'),
  mount: fc.constantFrom('/srv/app:/srv', '/etc/ssl/certs:/etc/ssl/certs:ro', '/var/log/app:/logs', '/usr/share/zoneinfo:/z:ro'),
  envValue: fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant({ ssm: '/x/y' })),
}

/** Mostly benign, a third hostile: a case with one bad field in each of its keys would always be refused. */
function mixed<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 2, arbitrary: good }, { weight: 1, arbitrary: bad })
}

function manifestObject(pools: Pools): fc.Arbitrary<Record<string, unknown>> {
  const health = fc.record({ tcp: fc.constant(80), interval: pools.duration, timeout: pools.duration, startPeriod: pools.duration, retries: fc.constantFrom(1, 3) }, { requiredKeys: ['tcp'] })
  const container = fc.record(
    {
      image: pools.image,
      env: fc.array(fc.tuple(pools.envName, pools.envValue), { maxLength: 4 }).map(own),
      volumes: fc.array(pools.mount, { maxLength: 3 }),
      resources: fc.record({ memory: pools.memory, cpu: pools.cpu }, { requiredKeys: [] }),
      health,
      stopTimeout: pools.duration,
      restart: fc.record({ crashLoop: fc.record({ restarts: fc.constantFrom(1, 5), within: pools.duration }, { requiredKeys: [] }) }),
      privileged: fc.boolean(),
      dependsOn: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(pools.name, { maxLength: 2 }) }),
    },
    { requiredKeys: ['image'] },
  )
  const volume = fc.oneof(fc.constant({ instance: {} }), fc.record({ tmpfs: fc.record({ size: pools.memory }, { requiredKeys: [] }) }))
  return fc.record(
    {
      containers: fc.array(fc.tuple(pools.name, container), { minLength: 1, maxLength: 3 }).map(own),
      volumes: fc.array(fc.tuple(pools.name, volume), { maxLength: 3 }).map(own),
      rollout: fc.record({ maxUnavailable: pools.cpu, bootDeadline: pools.duration, drainDelay: pools.duration, warmup: pools.duration }, { requiredKeys: [] }),
    },
    { requiredKeys: ['containers'] },
  )
}

const serialize = (object: Record<string, unknown>, format: 'json' | 'yaml') => (format === 'json' ? JSON.stringify(object) : stringify(object))
const format = fc.constantFrom<'json' | 'yaml'>('json', 'yaml')

function generated(category: string, pools: Pools, withVersion = fc.constant<string | undefined>('1.0')): fc.Arbitrary<FuzzCase> {
  return fc.tuple(manifestObject(pools), format, withVersion).map(([object, f, v]) => ({ category, text: serialize(object, f), ...(v === undefined ? {} : { version: v }) }))
}

const aliases = fc
  .record({ levels: fc.integer({ min: 1, max: 10 }), fanOut: fc.integer({ min: 1, max: 16 }), twist: fc.constantFrom('none', 'valid', 'valid', 'undefined', 'cycle', 'forward', 'key') })
  .map(({ levels, fanOut, twist }) => {
    if (twist === 'valid') {
      const copies = Array.from({ length: fanOut * levels }, (_, i) => (i % 2 === 0 ? `  c${i + 1}: { image: a:1, env: *e, command: *l }` : `  c${i + 1}: *c`))
      return { category: 'aliases', text: `containers:\n  c0: &c { image: a:1, env: &e { A: "1" }, command: &l [a, b] }\n${copies.join('\n')}\n` }
    }
    const lines = ['containers:', '  c0: { image: a:1, command: &l0 [s] }']
    for (let i = 1; i <= levels; i++) lines.push(`  c${i}: { image: a:1, command: &l${i} [${Array.from({ length: fanOut }, () => `*l${i - 1}`).join(', ')}] }`)
    if (twist === 'undefined') lines.push('  u: { image: *nowhere }')
    if (twist === 'cycle') lines.push('  y: &y { image: a:1, env: { A: *y } }')
    if (twist === 'forward') lines.push('  f: { image: *later }', '  g: { image: &later a:1 }')
    if (twist === 'key') lines.push('  ? *l0', '  : { image: a:1 }')
    lines.push(`  copy: &whole { image: a:1, command: *l${levels} }`, ...Array.from({ length: fanOut }, (_, i) => `  copy${i}: *whole`))
    return { category: 'aliases', text: `${lines.join('\n')}\n` }
  })

const KEY_SPELLINGS = ['1', '"1"', "'1'", '1.0', '0x1', 'a', '"a"', 'true', '"true"', 'null', '~', '""', 'app', '"app"', '__proto__', '"__proto__"']
const duplicates = fc.tuple(fc.array(fc.constantFrom(...KEY_SPELLINGS), { minLength: 2, maxLength: 5 }), fc.constantFrom('volumes', 'containers', 'env')).map(([keys, where]) => {
  if (where === 'env') return { category: 'duplicates', text: `containers:\n  app:\n    image: a:1\n    env:\n${keys.map((k) => `      ${k}: v`).join('\n')}\n` }
  const body = where === 'volumes' ? '{ instance: {} }' : '{ image: a:1 }'
  return { category: 'duplicates', text: `${where === 'volumes' ? 'containers: { app: { image: a:1 } }\n' : ''}${where}:\n${keys.map((k) => `  ${k}: ${body}`).join('\n')}\n` }
})

const TOKENS = ['containers:', '\n', '  ', 'app:', '{', '}', '[', ']', ',', '&a ', '*a', '!!str ', '!!binary ', '? ', ': ', '"', "'", '#', '- ', '<<: ', '%YAML 1.1\n', '---\n', '...\n', 'image: a:1', '${version}', '${x}', '\u001b', '9'.repeat(30), '\\u202e', '|\n', '>-\n', '\t', '__proto__: ', 'volumes: ["/:/x"]']
const raw = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((tokens) => tokens.join('')),
).map((text) => ({ category: 'raw text', text }))

const VALID = [
  'containers:\n  app:\n    image: registry.example/app:${version}\n    env: { PORT: "3000", DB: { ssm: /deckhand/web/db } }\n    volumes: ["data:/var/lib/app", "/etc/ssl/certs:/etc/ssl/certs:ro"]\n    resources: { cpu: "50%", memory: 512Mi }\n    health: { tcp: 3000, interval: 5s }\n  proxy:\n    image: proxy:1\n    dependsOn: [app]\nvolumes:\n  data: { instance: {} }\nrollout: { maxUnavailable: "25%", bootDeadline: 10m }\n',
  '{"containers":{"app":{"image":"a:1","volumes":["scratch:/tmp"]}},"volumes":{"scratch":{"tmpfs":{"size":"64Mi"}}}}',
]

/** Insert, delete or repeat slices of a known text; the corpus and valid manifests are the seeds. */
const mutated = fc
  .tuple(
    fc.constantFrom(...CORPUS.filter((c) => c.text.length < 10_000), ...VALID.map((text) => ({ text, version: '1.0' }))),
    fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'repeat'), fc.nat(), fc.nat({ max: 40 }), fc.constantFrom(...TOKENS, ...CONTROLS)), { minLength: 1, maxLength: 6 }),
  )
  .map(([seed, edits]) => {
    let text = seed.text
    for (const [kind, at, length, token] of edits) {
      const i = at % (text.length + 1)
      if (kind === 'insert') text = text.slice(0, i) + token + text.slice(i)
      else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + length)
      else text = text.slice(0, i) + text.slice(i, i + length).repeat(3) + text.slice(i)
    }
    return { category: 'mutations', text, ...(seed.version === undefined ? {} : { version: seed.version }) }
  })

/** Near the cap: many keys, containers or list items, where quadratic work would show. */
const nearCap = fc.tuple(fc.constantFrom('env', 'containers', 'command', 'dupes'), fc.integer({ min: 1000, max: 6000 })).map(([shape, n]) => {
  const keys = (prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
  const text =
    shape === 'env' ? `containers:\n  app:\n    image: a:1\n    env:\n${keys('K').map((k) => `      ${k}: v`).join('\n')}\n`
    : shape === 'containers' ? `containers:\n${keys('c').slice(0, 2000).map((k) => `  ${k}: { image: a:1 }`).join('\n')}\n`
    : shape === 'command' ? `containers:\n  app: { image: a:1, command: [${keys('a').join(', ')}] }\n`
    : `containers:\n  app:\n    image: a:1\n    env:\n${keys('K').map((k, i) => `      ${i % 2 === 0 ? k : `"K${i - 1}"`}: v`).join('\n')}\n`
  return { category: 'size and time', text }
})

export const CATEGORIES: ReadonlyArray<readonly [string, fc.Arbitrary<FuzzCase>]> = [
  ['host paths', generated('host paths', { ...benign, mount: mixed(benign.mount, fc.tuple(hostPath, fc.constantFrom('', ':ro', ':rw'), fc.constantFrom('/m', '/', 'rel', '/x/../')).map(([p, m, t]) => `${p}:${t}${m}`)) }, fc.option(mixed(fc.constant('1.0'), version), { nil: undefined }))],
  ['own keys', generated('own keys', { ...benign, name: mixed(benignName, fc.constantFrom(...OWN_NAMES)), envName: mixed(benign.envName, fc.constantFrom(...OWN_NAMES)), mount: mixed(benign.mount, fc.constantFrom(...OWN_NAMES, 'app', 'web').map((n) => `${n}:/data`)) })],
  ['numbers', generated('numbers', { ...benign, memory: mixed(benign.memory, quantity), cpu: mixed(benign.cpu, quantity), envValue: mixed(benign.envValue, number) })],
  ['durations', generated('durations', { ...benign, duration: mixed(benign.duration, duration) })],
  ['version', generated('version', benign, version)],
  ['output', generated('output', { ...benign, name: mixed(benignName, hostileText), envName: mixed(benign.envName, hostileText), image: mixed(benign.image, hostileText), envValue: hostileText, mount: mixed(benign.mount, fc.tuple(hostileText, hostileText).map(([a, b]) => `${a}:/${b}`)) })],
  ['aliases', aliases],
  ['duplicates', duplicates],
  ['raw text', raw],
  ['mutations', mutated],
  ['size and time', nearCap],
]
