import type { ContainerConfig } from '../../ports/container-runtime.js'

/**
 * The Engine API body of `POST /containers/create` (plus the `name` dockerode sends as a query
 * parameter), for exactly the fields deckhand sets. Built as a plain value so that the
 * translation is tested by comparing values, with no engine.
 */
export interface CreateOptions {
  readonly name: string
  readonly Image: string
  readonly Labels: Record<string, string>
  readonly Env: string[]
  readonly Cmd?: string[]
  readonly Entrypoint?: string[]
  readonly User?: string
  readonly WorkingDir?: string
  readonly ExposedPorts?: Record<string, Record<string, never>>
  readonly StopTimeout: number
  readonly Healthcheck?: {
    readonly Test: string[]
    readonly Interval: number
    readonly Timeout: number
    readonly Retries: number
    readonly StartPeriod: number
  }
  readonly HostConfig: {
    readonly NetworkMode: string
    readonly PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>
    readonly Binds: string[]
    readonly Tmpfs: Record<string, string>
    readonly NanoCpus?: number
    readonly Memory?: number
    readonly MemorySwap?: number
    readonly LogConfig: { readonly Type: string; readonly Config: Record<string, string> }
    readonly Privileged: boolean
    readonly PidMode?: string
    readonly IpcMode?: string
    readonly SecurityOpt: string[]
    readonly RestartPolicy: { readonly Name: 'no' }
  }
}

const NANOS_PER_MS = 1_000_000

/**
 * Decisions made here, once for every container:
 *
 * - RestartPolicy is `no`: deckhand is the only supervisor. Docker's policy cannot bring back a
 *   container that was removed, never restarts an unhealthy one, knows nothing of dependency
 *   order or crash loops, and would race deckhand's own restart of the same container.
 * - Init is left unset, so the image owns PID 1 unless the AMI's daemon.json sets `"init": true`.
 *   An injected init would break images whose entrypoint must be PID 1 (s6-overlay); an app that
 *   ignores SIGTERM as PID 1 only costs its stopTimeout before SIGKILL.
 * - MemorySwap equals Memory, so a memory limit is not silently doubled by swap.
 * - `no-new-privileges` unless the manifest says `privileged: true`: setuid binaries cannot
 *   raise a process's privileges.
 * - Ports are published only on a bridge network; with host networking the container's ports
 *   are the host's already, and Docker discards bindings for host and none anyway.
 */
export function toCreateOptions(config: ContainerConfig): CreateOptions {
  const bridge = config.network === 'bridge'
  const ports = bridge ? portBindings(config) : undefined
  return {
    name: config.name,
    Image: config.image,
    Labels: { ...config.labels },
    Env: Object.entries(config.env).map(([key, value]) => `${key}=${value}`),
    ...(config.command === undefined ? {} : { Cmd: [...config.command] }),
    ...(config.entrypoint === undefined ? {} : { Entrypoint: [...config.entrypoint] }),
    ...(config.user === undefined ? {} : { User: config.user }),
    ...(config.workingDir === undefined ? {} : { WorkingDir: config.workingDir }),
    ...(ports === undefined ? {} : { ExposedPorts: ports.exposed }),
    StopTimeout: Math.ceil(config.stopTimeoutMs / 1000),
    ...(config.healthcheck === undefined ? {} : { Healthcheck: healthcheck(config.healthcheck) }),
    HostConfig: {
      NetworkMode: config.network,
      ...(ports === undefined ? {} : { PortBindings: ports.bindings }),
      Binds: config.binds.map((bind) => `${bind.source}:${bind.target}:${bind.readOnly ? 'ro' : 'rw'}`),
      Tmpfs: Object.fromEntries(
        config.tmpfs.map((mount) => [mount.target, mount.sizeBytes === undefined ? '' : `size=${mount.sizeBytes}`]),
      ),
      ...(config.nanoCpus === undefined ? {} : { NanoCpus: config.nanoCpus }),
      ...(config.memoryBytes === undefined ? {} : { Memory: config.memoryBytes, MemorySwap: config.memoryBytes }),
      LogConfig: { Type: config.logging.driver, Config: { ...config.logging.options } },
      Privileged: config.privileged,
      ...(config.pid === undefined ? {} : { PidMode: config.pid }),
      ...(config.ipc === undefined ? {} : { IpcMode: config.ipc }),
      SecurityOpt: config.privileged ? [] : ['no-new-privileges:true'],
      RestartPolicy: { Name: 'no' },
    },
  }
}

/**
 * `test` is Docker's HEALTHCHECK test, passed through as given:
 * - `["CMD", "curl", "-f", "http://localhost/"]` runs the program directly (exec form);
 * - `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]` runs one string with `/bin/sh -c`;
 * - `["NONE"]` turns off a HEALTHCHECK the image declares.
 * The command runs inside the container; exit 0 is healthy. Durations go to the engine in
 * nanoseconds, and Docker rejects a non-zero interval or timeout under 1 ms.
 */
function healthcheck(check: NonNullable<ContainerConfig['healthcheck']>): NonNullable<CreateOptions['Healthcheck']> {
  return {
    Test: [...check.test],
    Interval: Math.round(check.intervalMs * NANOS_PER_MS),
    Timeout: Math.round(check.timeoutMs * NANOS_PER_MS),
    Retries: check.retries,
    StartPeriod: Math.round(check.startPeriodMs * NANOS_PER_MS),
  }
}

function portBindings(config: ContainerConfig): {
  exposed: Record<string, Record<string, never>>
  bindings: Record<string, { HostIp: string; HostPort: string }[]>
} {
  const exposed: Record<string, Record<string, never>> = {}
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {}
  for (const port of config.ports) {
    const key = `${port.containerPort}/${port.protocol}`
    exposed[key] = {}
    const binding = { HostIp: port.hostIp ?? '', HostPort: String(port.hostPort) }
    const existing = bindings[key]
    if (existing === undefined) bindings[key] = [binding]
    else existing.push(binding)
  }
  return { exposed, bindings }
}
