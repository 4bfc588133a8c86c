#!/usr/bin/env node
/**
 * The composition root: the only place that builds concrete adapters and the only place that
 * exits. Adapters load lazily per command, so `validate` and `status` start fast and none of
 * `up`, `validate` or `status` loads the AWS SDK.
 */
import { cpus, totalmem } from 'node:os'
import { FileStatusStore, ensureStateDir } from './adapters/status/file-status-store.js'
import { runCli } from './cli/program.js'
import { status } from './cli/status.js'
import { validate } from './cli/validate.js'
import { isDeckhandError } from './core/errors.js'

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

async function main(): Promise<number> {
  return runCli(
    process.argv.slice(2),
    {
      validate: (file, options) => validate(file, options, out),
      status: (options) => status(new FileStatusStore(stateDir), options, out),
      agent: async () => {
        err('deckhand agent needs the AWS layer, which is not built yet (issue 3); use deckhand up -f FILE to run a manifest locally.')
        return 1
      },
      up: async (options) => {
        const [{ up }, { DockerRuntime }, { HostHealthProbe }, { ParallelImageFetcher }, { LocalVolumes }, { NoParameters }, { SystemClock }, { createLogger, parseLogLevel }] = await Promise.all([
          import('./cli/up.js'),
          import('./adapters/docker/index.js'),
          import('./adapters/health-probe/index.js'),
          import('./adapters/images/parallel-image-fetcher.js'),
          import('./adapters/volumes/local-volumes.js'),
          import('./adapters/local/no-parameters.js'),
          import('./adapters/clock/system-clock.js'),
          import('./adapters/log/pino-logger.js'),
        ])
        const logger = await createLogger({ level: parseLogLevel(process.env.DECKHAND_LOG_LEVEL), format: options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json') })
        await ensureStateDir(stateDir)
        const runtime = new DockerRuntime()
        return up(options, {
          logger,
          clock: new SystemClock(),
          host: { cpus: cpus().length, memoryBytes: totalmem() },
          runtime,
          images: new ParallelImageFetcher({ runtime, logger }),
          probe: new HostHealthProbe(),
          parameters: new NoParameters(),
          status: new FileStatusStore(stateDir),
          volumes: (service) => new LocalVolumes({ stateDir, service, logger }),
          stopRequested: stopSignal(),
        })
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
