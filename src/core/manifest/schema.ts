import { z } from 'zod'
import { got, shorten } from './issues.js'
import { formatBytes, MAX_BYTES, MAX_CPUS, MIN_CPUS, MIN_MEMORY_BYTES, MIN_TMPFS_BYTES, parseCpu, parseDuration, parseMemory } from './quantities.js'

/**
 * The manifest's schema (SPEC §3). It parses into typed values (durations in ms, quantities)
 * and is the single source of the reference in docs/manifest.md: every field has a
 * description. Cross-field rules (cycles, volume names, totals) live in validate.ts.
 */

/**
 * Every duration has a floor and a ceiling, named in its error. Ceilings stay under 2^31-1 ms
 * (24.8 days), past which Node's timers fire at once; each is documented in docs/manifest.md.
 */
const DAY = '24h'
const duration = (fallback: string, bounds: { min: string; max: string; about: string }) => {
  const min = parseDuration(bounds.min) ?? 0
  const max = parseDuration(bounds.max) ?? 0
  return z
    .string({ error: (issue) => `expected a duration like 500ms, 30s, 10m or 1h, got ${got(issue.input)}` })
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text)
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${shorten(text)}" is not a duration; write it like 500ms, 30s, 10m or 1h` })
        return z.NEVER
      }
      if (ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `is ${shorten(text)}; it must be ${min === 0 ? '' : `at least ${bounds.min} and `}at most ${bounds.max}` })
        return z.NEVER
      }
      return ms
    })
    .describe(`${bounds.about} (${min === 0 ? 'at most' : `from ${bounds.min} to`} ${bounds.max})`)
}

const quantityInput = z.union([z.string(), z.number()], { error: (issue) => `expected a quantity (a number or a string like 512Mi or 50%), got ${got(issue.input)}` })

const between = (min: string, max: string) => `must be at least ${min} and at most ${max}`

const memory = quantityInput.transform((input, ctx) => {
  const quantity = parseMemory(input)
  if (!quantity) {
    ctx.addIssue({ code: 'custom', message: `"${shorten(String(input))}" is not a memory size; write it like 512Mi, 2Gi or 60%` })
    return z.NEVER
  }
  if (quantity.kind === 'percent' ? !(quantity.value > 0 && quantity.value <= 100) : !(quantity.value >= MIN_MEMORY_BYTES && quantity.value <= MAX_BYTES)) {
    ctx.addIssue({ code: 'custom', message: `is ${shorten(String(input))}; memory ${quantity.kind === 'percent' ? 'as a share is more than 0% and at most 100%' : `${between(formatBytes(MIN_MEMORY_BYTES), formatBytes(MAX_BYTES))} (Docker's floor is 6Mi)`}` })
    return z.NEVER
  }
  return quantity
})

/** A size in bytes, for what Docker takes only as bytes (a tmpfs): no percent. */
const bytes = quantityInput.transform((input, ctx) => {
  const quantity = parseMemory(input)
  if (quantity?.kind !== 'absolute') {
    ctx.addIssue({ code: 'custom', message: `"${shorten(String(input))}" is not a size; write it like 64Mi or 1Gi (a tmpfs size takes no percent)` })
    return z.NEVER
  }
  if (!(quantity.value >= MIN_TMPFS_BYTES && quantity.value <= MAX_BYTES)) {
    ctx.addIssue({ code: 'custom', message: `is ${shorten(String(input))}; a tmpfs size ${between(formatBytes(MIN_TMPFS_BYTES), formatBytes(MAX_BYTES))} (a size of 0 would mean no limit at all)` })
    return z.NEVER
  }
  return quantity.value
})

const cpu = quantityInput.transform((input, ctx) => {
  const quantity = parseCpu(input)
  if (!quantity) {
    ctx.addIssue({ code: 'custom', message: `"${shorten(String(input))}" is not a CPU amount; write it as cores (1.5) or a share (50%)` })
    return z.NEVER
  }
  if (quantity.kind === 'percent' ? !(quantity.value > 0 && quantity.value <= 100) : !(quantity.value >= MIN_CPUS && quantity.value <= MAX_CPUS)) {
    ctx.addIssue({ code: 'custom', message: `is ${shorten(String(input))}; CPU ${quantity.kind === 'percent' ? 'as a share is more than 0% and at most 100%' : between(String(MIN_CPUS), String(MAX_CPUS))}` })
    return z.NEVER
  }
  return quantity
})

/** Container and volume names end up in Docker names, labels and host paths. */
const containerName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a container name is 1 to 63 lowercase letters, digits, - and _, starting with a letter or digit')

const stringList = z.union([z.string().transform((s) => ['/bin/sh', '-c', s]), z.array(z.string()).min(1)])

const envValue = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.strictObject({ ssm: z.string().regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'an SSM parameter name starts with / and holds letters, digits, _ . - and /').describe('SSM parameter name, read with decryption at boot') }),
])

const healthSchema = z
  .strictObject({
    http: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional().describe('URL probed from the host; healthy on a 2xx or 3xx answer'),
    tcp: z.number().int().min(1).max(65535).optional().describe('port probed from the host; healthy when a connection opens'),
    cmd: stringList.optional().describe('command run inside the container by Docker; healthy on exit 0'),
    interval: duration('5s', { min: '100ms', max: DAY, about: 'time between checks' }),
    timeout: duration('2s', { min: '1ms', max: DAY, about: 'time a check may take' }),
    retries: z.number().int().min(1).max(100).default(3).describe('consecutive failures that make the container unhealthy'),
    startPeriod: duration('0s', { min: '0s', max: DAY, about: 'time after start during which failures do not count' }),
  })
  .superRefine((health, ctx) => {
    const kinds = [health.http, health.tcp, health.cmd].filter((k) => k !== undefined).length
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of http, tcp or cmd' })
  })

const loggingSchema = z.strictObject({
  driver: z.string().min(1).describe('any Docker log driver: local, json-file, journald, awslogs, ...'),
  options: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'a log option name is letters, digits, _ . : and -'), z.union([z.string(), z.number().transform(String)])).default({}).describe('the driver\'s options'),
})

export const containerSchema = z.strictObject({
  image: z.string().min(1).max(512).regex(/^[A-Za-z0-9$][A-Za-z0-9._/:@${}-]*$/, 'an image reference is letters, digits and . _ / : @ -, like registry.example/app:1.4').describe('image reference; ${version} is replaced by the release version'),
  command: stringList.optional().describe('overrides the image CMD; a string runs under /bin/sh -c'),
  entrypoint: stringList.optional().describe('overrides the image ENTRYPOINT'),
  user: z.string().min(1).optional().describe('user (name or uid[:gid]) the process runs as'),
  workingDir: z.string().startsWith('/', 'must be an absolute path').optional().describe('working directory inside the container'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a valid environment variable name'), envValue).default({}).describe('environment; a value may be { ssm: /name }'),
  network: z.enum(['host', 'bridge', 'none']).default('host').describe('host (default): the instance\'s own IP is the service address'),
  ports: z.array(z.string().regex(/^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/, 'write a port as HOST:CONTAINER, IP:HOST:CONTAINER, optionally /udp')).default([]).describe('published ports, only with network: bridge'),
  volumes: z.array(z.string()).default([]).describe('NAME:/path or /host/path:/path, optionally :ro'),
  resources: z.strictObject({ cpu: cpu.optional().describe('cores (1.5) or a share of the instance ("50%")'), memory: memory.optional().describe('bytes, 512Mi, 2Gi, or a share of the instance ("60%")') }).prefault({}).describe('limits: absolute, or a share of the instance after the system reserve'),
  health: healthSchema.optional().describe('exactly one of http, tcp or cmd; with none, healthy once running (or by the image\'s HEALTHCHECK)'),
  stopTimeout: duration('30s', { min: '0s', max: '1h', about: 'time between SIGTERM and SIGKILL on stop' }),
  restart: z
    .strictObject({
      crashLoop: z
        .strictObject({ restarts: z.number().int().min(1).max(1000).default(5).describe('restarts that make a crash loop...'), within: duration('10m', { min: '1s', max: DAY, about: '...within this window; the instance is then marked Unhealthy' }) })
        .prefault({}),
    })
    .prefault({}),
  logging: loggingSchema.optional().describe('overrides the manifest-wide logging'),
  dependsOn: z.array(containerName).default([]).describe('containers that must be healthy before this one starts'),
  privileged: z.boolean().default(false).describe('hands the container the host; required for host pid/ipc, the Docker socket or /'),
  pid: z.literal('host').optional().describe('share the host PID namespace; needs privileged: true'),
  ipc: z.literal('host').optional().describe('share the host IPC namespace; needs privileged: true'),
})

export const volumeSchema = z.union([
  z.strictObject({
    ebs: z.strictObject({
      size: z.number().int().min(1).max(65536).describe('size in GiB of a volume created when none is free'),
      type: z.enum(['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1']).default('gp3').describe('EBS volume type'),
      filesystem: z.enum(['ext4', 'xfs']).default('ext4').describe('made only when the device has none'),
      iops: z.number().int().positive().max(256_000).optional(),
      throughput: z.number().int().positive().max(4_000).optional(),
    }),
  }),
  z.strictObject({ instance: z.strictObject({}).describe('a directory on the instance, lost with it') }),
  z.strictObject({ tmpfs: z.strictObject({ size: bytes.optional().describe('limit, e.g. 64Mi (no percent)') }).describe('memory-backed') }),
], { error: 'a volume is one of { ebs: {...} }, { instance: {} } or { tmpfs: {...} }' })

export const rolloutSchema = z.strictObject({
  maxUnavailable: z
    .union([
      z.number().int().min(1, 'is at least 1 instance, or a share like "10%"').max(100_000),
      z.string().regex(/^\d+(\.\d+)?%$/, 'write a share like "10%"').refine((text) => {
        const percent = Number.parseFloat(text)
        return percent >= 1 && percent <= 100
      }, 'a share is at least 1% and at most 100%: with less, no instance could ever be replaced'),
    ], { error: (issue) => `expected a number of instances or a share like "10%", got ${got(issue.input)}` })
    .default(1)
    .describe('instances (or % of desired capacity) that may be out of service at once'),
  bootDeadline: duration('10m', { min: '1s', max: DAY, about: 'time an instance has to get every container healthy' }),
  drainDelay: duration('0s', { min: '0s', max: '1h', about: 'wait after deregistration before stopping containers' }),
  warmup: duration('0s', { min: '0s', max: DAY, about: 'time a ready instance must have been ready to count as serving' }),
})

export const manifestSchema = z.strictObject({
  containers: z
    .record(containerName, containerSchema)
    .refine((c) => Object.keys(c).length > 0, 'needs at least one container')
    .describe('the containers, by name; start order comes from dependsOn'),
  volumes: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a volume name is 1 to 63 lowercase letters, digits, - and _, starting with a letter or digit'), volumeSchema).default({}).describe('named volumes, mounted as NAME:/path'),
  rollout: rolloutSchema.prefault({}).describe('how the group rolls to a new revision'),
  logging: loggingSchema.optional().describe('the default log driver of every container'),
})

export type ParsedManifest = z.output<typeof manifestSchema>
export type ParsedContainer = z.output<typeof containerSchema>
