import type { z } from 'zod'
import { escapeText } from '../safe-text.js'
import { DEFAULT_LOGGING, type ContainerSpec, type DesiredState, type EnvValue, type HealthSpec, type LoggingSpec, type MountSpec, type PortSpec, type VolumeSpec } from './desired-state.js'
import { canonicalPath, DEFAULT_STATE_DIR, hostOwningPath } from './host-paths.js'
import { formatPath, got, type ManifestIssue } from './issues.js'
import { versionProblem } from './names.js'
import { formatBytes } from './quantities.js'
import { readYaml } from './read-yaml.js'
import type { HostCapacity } from './resources.js'
import { computeRevision } from './revision.js'
import { startOrder } from './order.js'
import { render } from './render.js'
import { manifestSchema, type ParsedContainer, type ParsedManifest } from './schema.js'

/**
 * text → YAML (JSON is YAML) → `${version}` rendered → schema → cross-field rules → a frozen
 * desired state. Every problem found is returned with its path, not only the first.
 */
export type ManifestResult =
  | { readonly ok: true; readonly manifest: Manifest }
  | { readonly ok: false; readonly issues: readonly ManifestIssue[] }

/** A parsed manifest before its revision is known (that needs the SSM parameters' versions). */
export type Manifest = Omit<DesiredState, 'revision'> & { readonly rendered: unknown }

export interface ParseOptions {
  /** Replaces `${version}`; refused (an issue at `(version)`) when versionProblem finds it unsafe. */
  readonly version?: string | undefined
  /** deckhand's state directory, which no unprivileged container may mount. */
  readonly stateDir?: string
  /** When known (the agent, `up`), absolute memory, CPU and tmpfs sizes may not exceed it. */
  readonly host?: HostCapacity
}

/** Never throws: whatever the text, the answer is a manifest or issues with their paths. */
export function parseManifest(text: string, options: ParseOptions = {}): ManifestResult {
  let result: ManifestResult
  try {
    result = parse(text, options)
  } catch (error) {
    result = { ok: false, issues: [{ path: '(manifest)', message: `could not be read (${error instanceof Error ? error.message : String(error)}); report this with the manifest` }] }
  }
  return result.ok ? result : { ok: false, issues: result.issues.map(safeIssue) }
}

function parse(text: string, options: ParseOptions): ManifestResult {
  if (typeof text !== 'string') return { ok: false, issues: [{ path: '(manifest)', message: 'must be text (YAML or JSON)' }] }
  const badVersion = options.version === undefined ? undefined : versionProblem(options.version)
  if (badVersion !== undefined) return { ok: false, issues: [{ path: '(version)', message: badVersion }] }
  const read = readYaml(text)
  if (!read.ok) return read
  const raw = read.value
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '(manifest)', message: 'must be a mapping with a `containers` key' }] }
  }
  const { value: rendered, issues: renderIssues } = render(raw, options.version)
  const parsed = manifestSchema.safeParse(rendered, { reportInput: true })
  if (!parsed.success) return { ok: false, issues: [...renderIssues, ...schemaIssues(parsed.error.issues)] }
  const issues = [...renderIssues]
  const manifest = build(parsed.data, rendered, options, issues)
  return issues.length > 0 || !manifest ? { ok: false, issues } : { ok: true, manifest }
}

/** Every character of input that reaches a terminal, a log or a tag is escaped, and bounded. */
function safeIssue(issue: ManifestIssue): ManifestIssue {
  const bounded = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
  return { path: bounded(escapeText(issue.path), 300), message: bounded(escapeText(issue.message), 1000) }
}

export function withRevision(manifest: Manifest, parameterVersions: Readonly<Record<string, number>> = {}): DesiredState {
  const { rendered, ...rest } = manifest
  return Object.freeze({ ...rest, revision: computeRevision(rendered, parameterVersions) })
}

function schemaIssues(issues: readonly z.core.$ZodIssue[]): ManifestIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'is not a known key; check its spelling against the manifest reference' }))
    }
    if (issue.code === 'invalid_union') {
      // One alternative that has this value's shape (no unknown or missing key at its top) is the
      // one the author meant: its own errors say more than "one of ..." does.
      const meant = issue.errors.filter((option) => option.every((inner) => inner.code !== 'unrecognized_keys' && !(inner.code === 'invalid_type' && inner.path.length <= 1)))
      if (meant.length === 1 && meant[0] !== undefined && meant[0].length > 0) {
        return schemaIssues(meant[0].map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })))
      }
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === 'Invalid input') {
      const expected = [...new Set(issue.errors.flatMap((option) => option.flatMap((inner) => (inner.code === 'invalid_type' && inner.path.length === 0 ? [EXPECTED[inner.expected] ?? inner.expected] : []))))]
      const what = expected.length > 0 ? expected.join(' or ') : 'another type (see the manifest reference)'
      return [{ path: formatPath(issue.path), message: `expected ${what}, got ${got(issue.input)}` }]
    }
    if (issue.code === 'invalid_key') {
      // The key itself is wrong (a name out of its character set): the key's own rule says why.
      return [{ path: formatPath(issue.path), message: issue.issues[0]?.message ?? 'is not an allowed name' }]
    }
    return [{ path: formatPath(issue.path), message: issue.code === 'invalid_type' ? typeMessage(issue) : issue.message }]
  })
}

const EXPECTED: Readonly<Record<string, string>> = { string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'a mapping', array: 'a list' }

/** A missing key "is required"; a key present with the wrong type says what it expected and got. */
function typeMessage(issue: z.core.$ZodIssueInvalidType): string {
  if (issue.input === undefined) return 'is required'
  if (!issue.message.startsWith('Invalid input')) return issue.message
  return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got(issue.input)}`
}

function build(parsed: ParsedManifest, rendered: unknown, options: ParseOptions, issues: ManifestIssue[]): Manifest | undefined {
  const { version } = options
  const names = new Set(Object.keys(parsed.containers))
  const volumeNames = new Set(Object.keys(parsed.volumes))
  const defaultLogging = parsed.logging ? logging(parsed.logging) : DEFAULT_LOGGING
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  const containers = new Map<string, ContainerSpec>()
  for (const [name, container] of Object.entries(parsed.containers)) {
    containers.set(name, containerSpec(name, container, { volumeNames, stateDir, defaultLogging, names }, issues))
  }
  checkTotals('cpu', [...containers.values()], issues)
  checkTotals('memory', [...containers.values()], issues)
  if (options.host) checkHost(options.host, [...containers.values()], parsed.volumes, issues)

  const ordered = startOrder(new Map([...containers].map(([name, c]) => [name, c.dependsOn.filter((d) => names.has(d))])))
  if ('cycle' in ordered) {
    issues.push({ path: `containers.${ordered.cycle[0]}.dependsOn`, message: `has a dependency cycle (${ordered.cycle.join(' → ')}); remove one of these dependsOn entries` })
    return undefined
  }
  const parameters = [...new Set([...containers.values()].flatMap((c) => Object.values(c.env).flatMap((v) => (typeof v === 'string' ? [] : [v.ssm]))))].sort()
  return deepFreeze({
    rendered,
    ...(version === undefined ? {} : { version }),
    containers: ordered.order.map((name) => containers.get(name) as ContainerSpec),
    volumes: Object.fromEntries(Object.entries(parsed.volumes).map(([name, v]) => [name, volumeSpec(v)])),
    rollout: {
      maxUnavailable: typeof parsed.rollout.maxUnavailable === 'number' ? parsed.rollout.maxUnavailable : { percent: Number.parseFloat(parsed.rollout.maxUnavailable) },
      bootDeadlineMs: parsed.rollout.bootDeadline,
      drainDelayMs: parsed.rollout.drainDelay,
      warmupMs: parsed.rollout.warmup,
    },
    parameters,
  })
}

interface ContainerContext {
  readonly names: ReadonlySet<string>
  readonly volumeNames: ReadonlySet<string>
  readonly stateDir: string
  readonly defaultLogging: LoggingSpec
}

function containerSpec(name: string, c: ParsedContainer, context: ContainerContext, issues: ManifestIssue[]): ContainerSpec {
  const { names, defaultLogging } = context
  const at = (...rest: PropertyKey[]) => formatPath(['containers', name, ...rest])
  c.dependsOn.forEach((dep, i) => {
    if (dep === name) issues.push({ path: at('dependsOn', i), message: 'a container cannot depend on itself' })
    else if (!names.has(dep)) issues.push({ path: at('dependsOn', i), message: `names no container "${dep}"; use one of: ${[...names].join(', ')}` })
  })
  const mounts = c.volumes.flatMap((text, i) => {
    const mount = parseMount(text)
    if (typeof mount === 'string') {
      issues.push({ path: at('volumes', i), message: mount })
      return []
    }
    if (mount.source.kind === 'volume' && !context.volumeNames.has(mount.source.name)) {
      issues.push({ path: at('volumes', i), message: `names no volume "${mount.source.name}"; declare it under volumes:, or use an absolute host path` })
    }
    const source = mount.source
    const owning = source.kind === 'host' && !c.privileged ? hostOwningPath(source.path, mount.readOnly, context.stateDir) : undefined
    if (source.kind === 'host' && owning !== undefined) {
      const written = text.split(':')[0] ?? ''
      const relation = source.path === '/' ? 'is the host\'s root, holding' : owning === source.path ? 'is' : source.path.length < owning.length ? 'holds' : 'lies within'
      issues.push({
        path: at('volumes', i),
        message: `mounts ${written}${written === source.path ? '' : ` (that is ${source.path})`}, which ${relation} ${owning} and hands the container the host; mount a directory of your own, or set privileged: true if the container must own the host`,
      })
    }
    return [mount]
  })
  if (!c.privileged) {
    if (c.pid) issues.push({ path: at('pid'), message: 'host PID hands the container the host; set privileged: true if that is intended' })
    if (c.ipc) issues.push({ path: at('ipc'), message: 'host IPC hands the container the host; set privileged: true if that is intended' })
  }
  if (c.ports.length > 0 && c.network !== 'bridge') {
    issues.push({ path: at('ports'), message: `publishing ports needs network: bridge (this container uses ${c.network}, where it listens on the instance's own ports)` })
  }
  const ports = c.ports.map(parsePort)
  ports.forEach((p, i) => {
    if (p.hostPort < 1 || p.hostPort > 65535 || p.containerPort < 1 || p.containerPort > 65535) issues.push({ path: at('ports', i), message: 'ports are numbers from 1 to 65535' })
    if (p.hostIp !== undefined && p.hostIp.split('.').some((octet) => Number(octet) > 255)) issues.push({ path: at('ports', i), message: `${p.hostIp} is not an IPv4 address; each of its numbers is at most 255` })
  })
  return {
    name,
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
    ...(c.user ? { user: c.user } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    env: c.env as Record<string, EnvValue>,
    network: c.network,
    ports,
    mounts,
    resources: { ...(c.resources.cpu ? { cpu: c.resources.cpu } : {}), ...(c.resources.memory ? { memory: c.resources.memory } : {}) },
    ...(c.health ? { health: healthSpec(c.health) } : {}),
    stopTimeoutMs: c.stopTimeout,
    crashLoop: { restarts: c.restart.crashLoop.restarts, withinMs: c.restart.crashLoop.within },
    logging: c.logging ? logging(c.logging) : defaultLogging,
    dependsOn: c.dependsOn,
    privileged: c.privileged,
    ...(c.pid ? { pid: c.pid } : {}),
    ...(c.ipc ? { ipc: c.ipc } : {}),
  }
}

function healthSpec(h: NonNullable<ParsedContainer['health']>): HealthSpec {
  const check = h.http !== undefined ? { kind: 'http' as const, url: h.http } : h.tcp !== undefined ? { kind: 'tcp' as const, port: h.tcp } : { kind: 'cmd' as const, command: h.cmd ?? [] }
  return { check, intervalMs: h.interval, timeoutMs: h.timeout, retries: h.retries, startPeriodMs: h.startPeriod }
}

function logging(l: { driver: string; options: Record<string, string> }): LoggingSpec {
  return { driver: l.driver, options: l.options }
}

function volumeSpec(v: ParsedManifest['volumes'][string]): VolumeSpec {
  if ('ebs' in v) {
    return {
      kind: 'ebs', sizeGiB: v.ebs.size, type: v.ebs.type, filesystem: v.ebs.filesystem,
      ...(v.ebs.iops ? { iops: v.ebs.iops } : {}), ...(v.ebs.throughput ? { throughput: v.ebs.throughput } : {}),
    }
  }
  if ('tmpfs' in v) {
    const size = v.tmpfs.size
    return size === undefined ? { kind: 'tmpfs' } : { kind: 'tmpfs', sizeBytes: size }
  }
  return { kind: 'instance' }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * `NAME:/path[:ro|rw]` or `/host/path:/path[:ro|rw]`; returns a message when malformed. A host
 * path comes back canonical (`.`, `..` and repeated slashes resolved as text), which is what
 * the host-owning check compares and what Docker is given.
 */
export function parseMount(text: string): MountSpec | string {
  const parts = text.split(':')
  if (parts.length < 2 || parts.length > 3) return 'write a volume as NAME:/container/path or /host/path:/container/path, optionally :ro'
  const [source = '', target = '', mode = 'rw'] = parts
  if (mode !== 'ro' && mode !== 'rw') return `"${mode}" is not a mount mode; use ro or rw`
  if (!target.startsWith('/')) return `the container path "${target}" is relative; container paths must be absolute`
  if (canonicalPath(target) === '/') return 'the container path is /, which Docker cannot mount over; mount at a directory such as /data'
  if (source === '') return 'the volume source is empty'
  if (CONTROL.test(text)) return 'holds a control character; write paths with printable characters only'
  return {
    source: source.startsWith('/') ? { kind: 'host', path: canonicalPath(source) } : { kind: 'volume', name: source },
    target,
    readOnly: mode === 'ro',
  }
}

function parsePort(text: string): PortSpec {
  const [spec = '', protocol = 'tcp'] = text.split('/')
  const parts = spec.split(':')
  const containerPort = Number(parts.pop())
  const hostPort = Number(parts.pop())
  const hostIp = parts.pop()
  return { ...(hostIp ? { hostIp } : {}), hostPort, containerPort, protocol: protocol === 'udp' ? 'udp' : 'tcp' }
}

function checkTotals(key: 'cpu' | 'memory', containers: readonly ContainerSpec[], issues: ManifestIssue[]): void {
  const shares = containers.flatMap((c) => {
    const q = c.resources[key]
    return q && q.kind === 'percent' ? [{ name: c.name, value: q.value }] : []
  })
  const total = shares.reduce((sum, s) => sum + s.value, 0)
  if (total > 100) {
    issues.push({
      path: `containers.*.resources.${key}`,
      message: `shares add up to ${total}% (${shares.map((s) => `${s.name} ${s.value}%`).join(', ')}); together they may use at most 100% of the instance`,
    })
  }
}

/** What the instance cannot give: more memory or CPUs than it has, or a tmpfs larger than its memory. */
function checkHost(host: HostCapacity, containers: readonly ContainerSpec[], volumes: ParsedManifest['volumes'], issues: ManifestIssue[]): void {
  for (const c of containers) {
    const { memory, cpu } = c.resources
    if (memory?.kind === 'absolute' && memory.value > host.memoryBytes) {
      issues.push({ path: `containers.${c.name}.resources.memory`, message: `is ${formatBytes(memory.value)}, more than this instance's ${formatBytes(host.memoryBytes)}; ask for less, or a share such as 60%` })
    }
    if (cpu?.kind === 'absolute' && cpu.value > host.cpus) {
      issues.push({ path: `containers.${c.name}.resources.cpu`, message: `is ${cpu.value} CPUs, more than this instance's ${host.cpus}; ask for fewer, or a share such as 50%` })
    }
  }
  for (const [name, volume] of Object.entries(volumes)) {
    if ('tmpfs' in volume && volume.tmpfs.size !== undefined && volume.tmpfs.size > host.memoryBytes) {
      issues.push({ path: `volumes.${name}.tmpfs.size`, message: `is ${formatBytes(volume.tmpfs.size)}, more than this instance's memory (${formatBytes(host.memoryBytes)}); make it smaller` })
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
