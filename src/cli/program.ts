import { Command, CommanderError } from 'commander'
import packageJson from '../../package.json' with { type: 'json' }

/** deckhand's version: package.json's, which the bundle carries inline (scripts/build.mjs). */
export const version: string = packageJson.version

/** What each command does, injected by main so the wiring can be tested without side effects. */
export interface Commands {
  validate(file: string, options: { version?: string }): Promise<number>
  up(options: { file: string; version?: string; service?: string; logFormat?: 'json' | 'pretty' }): Promise<number>
  status(options: { json?: boolean }): Promise<number>
  agent(): Promise<number>
  drain(options: { now?: boolean }): Promise<number>
}

/** The command line of SPEC §8, with commander. Returns the exit code; only main exits. */
export async function runCli(argv: readonly string[], commands: Commands, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  let code = 0
  const program = new Command('deckhand')
    .description('The boot agent for EC2 instances that run a fixed set of containers per Auto Scaling Group.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run deckhand --help for the commands)')
    .enablePositionalOptions()

  program
    .command('agent')
    .description('the service systemd runs: boot, supervise, drift, drain')
    .action(async () => {
      code = await commands.agent()
    })

  program
    .command('drain')
    .description('on an instance: take it out of service on purpose (drain, complete hooks, stop); the group replaces it')
    .option('--now', 'do not wait until the group can spare this instance')
    .action(async (options: { now?: boolean }) => {
      code = await commands.drain(options.now === true ? { now: true } : {})
    })

  program
    .command('up')
    .description('run a manifest on the local Docker engine with no AWS at all; Ctrl-C drains')
    .requiredOption('-f, --file <file>', 'the manifest, YAML or JSON')
    .option('--version <version>', 'the release version that replaces ${version}')
    .option('--service <name>', 'the service name (default: the file name)')
    .option('--log-format <format>', 'json or pretty (default: pretty on a terminal)')
    .action(async (options: { file: string; version?: string; service?: string; logFormat?: string }) => {
      const logFormat = options.logFormat === 'json' || options.logFormat === 'pretty' ? options.logFormat : undefined
      if (options.logFormat !== undefined && logFormat === undefined) {
        io.err(`--log-format ${options.logFormat} is not a format; use json or pretty.\n`)
        code = 2
        return
      }
      code = await commands.up({ file: options.file, ...(options.version ? { version: options.version } : {}), ...(options.service ? { service: options.service } : {}), ...(logFormat ? { logFormat } : {}) })
    })

  program
    .command('validate')
    .description('exit 0 if the manifest is valid, else 1 with every error and its path')
    .argument('<file>', 'the manifest, YAML or JSON')
    .option('--version <version>', 'the release version that replaces ${version}')
    .action(async (file: string, options: { version?: string }) => {
      code = await commands.validate(file, options)
    })

  program
    .command('status')
    .description('this instance: revision, state, each container\'s health and restarts')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      code = await commands.status(options)
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    throw error
  }
  return code
}
