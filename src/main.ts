#!/usr/bin/env node
/**
 * The composition root: the only place that builds concrete adapters and the only place that
 * exits. Adapters load lazily per command, so `validate` and `status` start fast and none of
 * `up`, `validate` or `status` loads the AWS SDK.
 */
import { cpus, totalmem } from 'node:os'
import { FileStatusStore, ensureStateDir } from './adapters/status/file-status-store.js'
import { runCli, version } from './cli/program.js'
import { isAlive, status } from './cli/status.js'
import { validate } from './cli/validate.js'
import { DeckhandError, isDeckhandError } from './core/errors.js'
import { parseDuration } from './core/manifest/quantities.js'

const stateDir = process.env.DECKHAND_STATE_DIR ?? '/var/lib/deckhand'
const out = (line: string) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`)
const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`)

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      // A second Ctrl-C while draining means "now": exit without waiting.
      process.once(signal, () => process.exit(130))
      resolve(signal)
    }
    process.once('SIGINT', handler)
    process.once('SIGTERM', handler)
  })
}

/**
 * Overrides of computed intervals for tests and local fleets (never for a real fleet: the
 * drift interval is what keeps a fleet inside SSM's quota).
 */
function durationFromEnv<T>(name: string, wrap: (ms: number) => T): T | Record<string, never> {
  const text = process.env[name]
  if (text === undefined || text === '') return {}
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0 || ms > 24 * 3_600_000) throw new DeckhandError('ENVIRONMENT_INVALID', `${name}=${text} is not a duration from 1ms to 24h; write it like 500ms, 30s or 10m.`)
  return wrap(ms)
}

/**
 * Keeps the process open until `run` settles. The scheduler's timers do not (a drained agent must
 * exit at once), and while dockerd restarts or a failed boot waits for its termination nothing
 * else may: the process would end silently in the middle of its work.
 */
async function holdOpen<T>(run: () => Promise<T>): Promise<T> {
  const alive = setInterval(() => undefined, 1 << 30)
  try {
    return await run()
  } finally {
    clearInterval(alive)
  }
}

/**
 * The agent's own configuration is wrong (a DECKHAND_* variable, the state directory): restarting
 * it will not help, so it exits with EX_CONFIG, which the systemd unit's RestartPreventExitStatus
 * names, instead of being restarted in a loop.
 */
const CONFIG_ERROR_EXIT = 78

async function configErrorsExit(run: () => Promise<number>): Promise<number> {
  try {
    return await run()
  } catch (error) {
    if (!isDeckhandError(error) || (error.code !== 'ENVIRONMENT_INVALID' && error.code !== 'STATE_DIR')) throw error
    err(error.message)
    return CONFIG_ERROR_EXIT
  }
}

async function main(): Promise<number> {
  return runCli(
    process.argv.slice(2),
    {
      validate: (file, options) => validate(file, { ...options, stateDir }, out),
      status: async (options) => {
        const { readLiveStatus } = await import('./adapters/metrics/live-status.js')
        return status(new FileStatusStore(stateDir), options, out, Date.now(), () => readLiveStatus(process.env.DECKHAND_METRICS_ADDR))
      },
      agent: () => configErrorsExit(async () => {
        const [{ Agent }, { FileBootRecordStore }, aws, { DockerRuntime, DockerConfigCredentials, DockerRunningEnv }, { HostHealthProbe }, { ParallelImageFetcher }, { LocalVolumes }, { SystemClock }, { createLogger, parseLogLevel }, { SystemdHostShutdown }, { startMetricsEndpoint }] = await Promise.all([
          import('./core/agent/agent.js'),
          import('./adapters/status/file-boot-record.js'),
          import('./adapters/aws/index.js'),
          import('./adapters/docker/index.js'),
          import('./adapters/health-probe/index.js'),
          import('./adapters/images/parallel-image-fetcher.js'),
          import('./adapters/volumes/local-volumes.js'),
          import('./adapters/clock/system-clock.js'),
          import('./adapters/log/pino-logger.js'),
          import('./adapters/host/systemd-host-shutdown.js'),
          import('./adapters/metrics/metrics-endpoint.js'),
        ])
        const logger = await createLogger({ level: parseLogLevel(process.env.DECKHAND_LOG_LEVEL), format: 'json' })
        logger.info({ version, node: process.version }, 'deckhand agent starting')
        await ensureStateDir(stateDir)
        const endpoint = await startMetricsEndpoint({ address: process.env.DECKHAND_METRICS_ADDR, logger })
        const { metrics } = endpoint
        const clock = new SystemClock()
        let adapters: ReturnType<typeof aws.createAwsAdapters> | undefined
        const agent = new Agent({
          metadata: new aws.ImdsMetadata(),
          connect: (identity) => {
            adapters = aws.createAwsAdapters({ region: identity.region, logger, metrics })
            const runtime = new DockerRuntime({ credentials: adapters.ecr(new DockerConfigCredentials()), metrics })
            return { config: adapters.config, fleet: adapters.fleet, runtime, images: new ParallelImageFetcher({ runtime, logger }) }
          },
          volumes: (service) => new LocalVolumes({ stateDir, service, logger }),
          probe: new HostHealthProbe(),
          clock,
          scheduler: clock,
          logger,
          status: new FileStatusStore(stateDir),
          bootRecord: new FileBootRecordStore(stateDir),
          hostShutdown: new SystemdHostShutdown(),
          stateDir,
          runningEnv: new DockerRunningEnv(),
          host: { cpus: cpus().length, memoryBytes: totalmem() },
          random: Math.random,
          ...durationFromEnv('DECKHAND_DRIFT_INTERVAL', (ms) => ({ driftIntervalMs: ms })),
          ...durationFromEnv('DECKHAND_TERMINATION_POLL', (ms) => ({ terminationPollMs: ms })),
          metrics,
        })
        try {
          return await holdOpen(() => agent.run(stopSignal()))
        } finally {
          adapters?.destroy()
          await endpoint.close()
        }
      }),
      drain: async (options) => {
        const [{ drain }, { FileBootRecordStore }, aws, { SystemClock }] = await Promise.all([
          import('./cli/drain.js'),
          import('./adapters/status/file-boot-record.js'),
          import('./adapters/aws/index.js'),
          import('./adapters/clock/system-clock.js'),
        ])
        let adapters: ReturnType<typeof aws.createAwsAdapters> | undefined
        try {
          return await holdOpen(() => drain(options, {
            bootRecord: new FileBootRecordStore(stateDir),
            status: new FileStatusStore(stateDir),
            alive: isAlive,
            fleet: async () => {
              const identity = await new aws.ImdsMetadata().identity()
              adapters = aws.createAwsAdapters({ region: identity.region })
              return adapters.fleet
            },
            clock: new SystemClock(),
            out,
          }))
        } finally {
          adapters?.destroy()
        }
      },
      up: async (options) => {
        const [{ up }, { DockerRuntime }, { HostHealthProbe }, { ParallelImageFetcher }, { LocalVolumes }, { NoParameters }, { SystemClock }, { createLogger, parseLogLevel }, { startMetricsEndpoint }] = await Promise.all([
          import('./cli/up.js'),
          import('./adapters/docker/index.js'),
          import('./adapters/health-probe/index.js'),
          import('./adapters/images/parallel-image-fetcher.js'),
          import('./adapters/volumes/local-volumes.js'),
          import('./adapters/local/no-parameters.js'),
          import('./adapters/clock/system-clock.js'),
          import('./adapters/log/pino-logger.js'),
          import('./adapters/metrics/metrics-endpoint.js'),
        ])
        const logger = await createLogger({ level: parseLogLevel(process.env.DECKHAND_LOG_LEVEL), format: options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json') })
        await ensureStateDir(stateDir)
        const endpoint = await startMetricsEndpoint({ address: process.env.DECKHAND_METRICS_ADDR, logger })
        const runtime = new DockerRuntime({ metrics: endpoint.metrics })
        return holdOpen(() => up({ ...options, stateDir }, {
          logger,
          clock: new SystemClock(),
          host: { cpus: cpus().length, memoryBytes: totalmem() },
          runtime,
          images: new ParallelImageFetcher({ runtime, logger }),
          probe: new HostHealthProbe(),
          parameters: new NoParameters(),
          status: new FileStatusStore(stateDir),
          volumes: (service) => new LocalVolumes({ stateDir, service, logger }),
          metrics: endpoint.metrics,
          stopRequested: stopSignal(),
        }).finally(() => endpoint.close()))
      },
    },
    { out, err },
  )
}

main().then(
  (code) => {
    // Exit explicitly: a drained agent must not linger on a half-closed event stream.
    process.exit(code)
  },
  (error: unknown) => {
    if (isDeckhandError(error)) err(error.message)
    else err(`deckhand stopped on an unexpected error: ${error instanceof Error ? error.message : String(error)}. Run with DECKHAND_LOG_LEVEL=debug and report it.`)
    if (!isDeckhandError(error) && process.env.DECKHAND_LOG_LEVEL === 'debug' && error instanceof Error) err(error.stack ?? '')
    process.exitCode = 1
  },
)
