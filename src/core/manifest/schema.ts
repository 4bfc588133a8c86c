import { z } from 'zod'
import { parseCpu, parseDuration, parseMemory } from './quantities.js'

/**
 * The manifest's schema (SPEC §3). It parses into typed values (durations in ms, quantities)
 * and is the single source of the reference in docs/manifest.md: every field has a
 * description. Cross-field rules (cycles, volume names, totals) live in validate.ts.
 */

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text)
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write it like 500ms, 30s, 10m or 1h` })
        return z.NEVER
      }
      return ms
    })

const memory = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const quantity = parseMemory(input)
  if (!quantity) {
    ctx.addIssue({ code: 'custom', message: `"${input}" is not a memory size; write it like 512Mi, 2Gi or 60%` })
    return z.NEVER
  }
  return quantity
})

/** A size in bytes, for what Docker takes only as bytes (a tmpfs): no percent. */
const bytes = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const quantity = parseMemory(input)
  if (quantity?.kind !== 'absolute') {
    ctx.addIssue({ code: 'custom', message: `"${input}" is not a size; write it like 64Mi or 1Gi (a tmpfs size takes no percent)` })
    return z.NEVER
  }
  return quantity.value
})

const cpu = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const quantity = parseCpu(input)
  if (!quantity) {
    ctx.addIssue({ code: 'custom', message: `"${input}" is not a CPU amount; write it as cores (1.5) or a share (50%)` })
    return z.NEVER
  }
  return quantity
})

const stringList = z.union([z.string().transform((s) => ['/bin/sh', '-c', s]), z.array(z.string()).min(1)])

const envValue = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.strictObject({ ssm: z.string().startsWith('/', 'an SSM parameter name starts with /').describe('SSM parameter name, read with decryption at boot') }),
])

const healthSchema = z
  .strictObject({
    http: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional().describe('URL probed from the host; healthy on a 2xx or 3xx answer'),
    tcp: z.number().int().min(1).max(65535).optional().describe('port probed from the host; healthy when a connection opens'),
    cmd: stringList.optional().describe('command run inside the container by Docker; healthy on exit 0'),
    interval: duration('5s').describe('time between checks'),
    timeout: duration('2s').describe('time a check may take'),
    retries: z.number().int().min(1).default(3).describe('consecutive failures that make the container unhealthy'),
    startPeriod: duration('0s').describe('time after start during which failures do not count'),
  })
  .superRefine((health, ctx) => {
    const kinds = [health.http, health.tcp, health.cmd].filter((k) => k !== undefined).length
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of http, tcp or cmd' })
  })

const loggingSchema = z.strictObject({
  driver: z.string().min(1).describe('any Docker log driver: local, json-file, journald, awslogs, ...'),
  options: z.record(z.string(), z.union([z.string(), z.number().transform(String)])).default({}).describe('the driver\'s options'),
})

export const containerSchema = z.strictObject({
  image: z.string().min(1).regex(/^\S+$/, 'an image reference has no spaces').describe('image reference; ${version} is replaced by the release version'),
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
  stopTimeout: duration('30s').describe('time between SIGTERM and SIGKILL on stop'),
  restart: z
    .strictObject({
      crashLoop: z
        .strictObject({ restarts: z.number().int().min(1).default(5).describe('restarts that make a crash loop...'), within: duration('10m').describe('...within this window; the instance is then marked Unhealthy') })
        .prefault({}),
    })
    .prefault({}),
  logging: loggingSchema.optional().describe('overrides the manifest-wide logging'),
  dependsOn: z.array(z.string()).default([]).describe('containers that must be healthy before this one starts'),
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
      iops: z.number().int().positive().optional(),
      throughput: z.number().int().positive().optional(),
    }),
  }),
  z.strictObject({ instance: z.strictObject({}).describe('a directory on the instance, lost with it') }),
  z.strictObject({ tmpfs: z.strictObject({ size: bytes.optional().describe('limit, e.g. 64Mi (no percent)') }).describe('memory-backed') }),
], { error: 'a volume is one of { ebs: {...} }, { instance: {} } or { tmpfs: {...} }' })

export const rolloutSchema = z.strictObject({
  maxUnavailable: z
    .union([z.number().int().min(1), z.string().regex(/^\d+(\.\d+)?%$/, 'write a share like "10%"')])
    .default(1)
    .describe('instances (or % of desired capacity) that may be out of service at once'),
  bootDeadline: duration('10m').describe('time an instance has to get every container healthy'),
  drainDelay: duration('0s').describe('wait after deregistration before stopping containers'),
  warmup: duration('0s').describe('time a ready instance must have been ready to count as serving'),
})

export const manifestSchema = z.strictObject({
  containers: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a container name is lowercase letters, digits, - and _'), containerSchema)
    .refine((c) => Object.keys(c).length > 0, 'needs at least one container')
    .describe('the containers, by name; start order comes from dependsOn'),
  volumes: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a volume name is lowercase letters, digits, - and _'), volumeSchema).default({}).describe('named volumes, mounted as NAME:/path'),
  rollout: rolloutSchema.prefault({}).describe('how the group rolls to a new revision'),
  logging: loggingSchema.optional().describe('the default log driver of every container'),
})

export type ParsedManifest = z.output<typeof manifestSchema>
export type ParsedContainer = z.output<typeof containerSchema>
