import { LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { computeRevision } from './revision.js'
import { DEFAULT_LOGGING, type ContainerSpec, type DesiredState, type EnvValue, type HealthSpec, type LoggingSpec, type MountSpec, type PortSpec, type VolumeSpec } from './desired-state.js'
import { formatPath, type ManifestIssue } from './issues.js'
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

export function parseManifest(text: string, options: { version?: string | undefined } = {}): ManifestResult {
  const lines = new LineCounter()
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines })
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((e) => ({
        path: `line ${lines.linePos(e.pos[0]).line}, column ${lines.linePos(e.pos[0]).col}`,
        message: `${e.message.split('\n')[0]}; the manifest must be YAML or JSON`,
      })),
    }
  }
  const raw: unknown = document.toJS()
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '(manifest)', message: 'must be a mapping with a `containers` key' }] }
  }
  const { value: rendered, issues: renderIssues } = render(raw, options.version)
  const parsed = manifestSchema.safeParse(rendered)
  if (!parsed.success) return { ok: false, issues: [...renderIssues, ...schemaIssues(parsed.error.issues)] }
  const issues = [...renderIssues]
  const manifest = build(parsed.data, rendered, options.version, issues)
  return issues.length > 0 || !manifest ? { ok: false, issues } : { ok: true, manifest }
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
      return [{ path: formatPath(issue.path), message: 'has the wrong type; check the manifest reference' }]
    }
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message
    return [{ path: formatPath(issue.path), message }]
  })
}

const HOST_HANDOVER_SOURCES = new Set(['/', '/var/run/docker.sock', '/run/docker.sock', '/var/run', '/run', '/var'])

function build(parsed: ParsedManifest, rendered: unknown, version: string | undefined, issues: ManifestIssue[]): Manifest | undefined {
  const names = new Set(Object.keys(parsed.containers))
  const defaultLogging = parsed.logging ? logging(parsed.logging) : DEFAULT_LOGGING
  const containers = new Map<string, ContainerSpec>()
  for (const [name, container] of Object.entries(parsed.containers)) {
    containers.set(name, containerSpec(name, container, parsed, defaultLogging, names, issues))
  }
  checkTotals('cpu', [...containers.values()], issues)
  checkTotals('memory', [...containers.values()], issues)

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

function containerSpec(name: string, c: ParsedContainer, parsed: ParsedManifest, defaultLogging: LoggingSpec, names: ReadonlySet<string>, issues: ManifestIssue[]): ContainerSpec {
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
    if (mount.source.kind === 'volume' && !(mount.source.name in parsed.volumes)) {
      issues.push({ path: at('volumes', i), message: `names no volume "${mount.source.name}"; declare it under volumes:, or use an absolute host path` })
    }
    if (mount.source.kind === 'host' && HOST_HANDOVER_SOURCES.has(mount.source.path) && !c.privileged) {
      issues.push({ path: at('volumes', i), message: `mounts ${mount.source.path}, which hands the container the host; set privileged: true if that is intended` })
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
  })
  for (const [key, quantity] of Object.entries(c.resources)) {
    if (quantity && quantity.kind === 'percent' && (quantity.value <= 0 || quantity.value > 100)) issues.push({ path: at('resources', key), message: 'a share is more than 0% and at most 100%' })
  }
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

/** `NAME:/path[:ro|rw]` or `/host/path:/path[:ro|rw]`; returns a message when malformed. */
export function parseMount(text: string): MountSpec | string {
  const parts = text.split(':')
  if (parts.length < 2 || parts.length > 3) return 'write a volume as NAME:/container/path or /host/path:/container/path, optionally :ro'
  const [source = '', target = '', mode = 'rw'] = parts
  if (mode !== 'ro' && mode !== 'rw') return `"${mode}" is not a mount mode; use ro or rw`
  if (!target.startsWith('/')) return `the container path "${target}" is relative; container paths must be absolute`
  if (source === '') return 'the volume source is empty'
  const normalized = source.startsWith('/') ? source.replace(/\/+$/, '') || '/' : source
  return {
    source: normalized.startsWith('/') ? { kind: 'host', path: normalized } : { kind: 'volume', name: normalized },
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

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
