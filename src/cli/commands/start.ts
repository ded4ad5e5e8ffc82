import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { type Command, Option } from 'commander'
import { startBridge } from '../../bridge.ts'
import { loadConfig } from '../../config/load.ts'
import { loadKeyFile } from '../../crypto/keyfile.ts'
import { createLogger } from '../../log/logger.ts'
import type { ProcessRole } from '../../store/port.ts'
import { initDataDir } from '../init.ts'
import { passphrase } from '../prompt.ts'

interface StartOptions {
  config: string
  init?: boolean
  role: ProcessRole
}

export function startCommand(program: Command): void {
  program
    .command('start')
    .description('run the bridge: store, node identity and HTTP API')
    .option('--config <file>', 'the config file', 'data/config.yaml')
    .option('--init', "initialize the config file's folder first when it does not exist yet")
    .addOption(
      new Option(
        '--role <role>',
        'all: pipeline, adapters and node; worker: pipeline and adapters; node: the Mainframe node',
      )
        .choices(['all', 'worker', 'node'])
        .default('all'),
    )
    .addHelpText(
      'after',
      '\nEnvironment: MFB_<SECTION>__<KEY> overrides any config key; MFB_PASSPHRASE unlocks an encrypted key.\nStops cleanly on SIGINT/SIGTERM. Exit codes: 0 stopped, 1 runtime failure, 2 config error.',
    )
    .action(async (options: StartOptions) => {
      // Listen before anything starts: a signal during start-up then stops the bridge once it
      // is up, instead of killing it half-way with the default disposition.
      const signalled = untilSignal()
      if (options.init && !existsSync(options.config)) {
        const result = await initDataDir(dirname(options.config), process.env.MFB_PASSPHRASE || undefined)
        process.stderr.write(`initialized ${result.dir} (peer id ${result.peerId})\n`)
      }
      const config = loadConfig({ path: options.config })
      const log = createLogger({ level: config.log.level })
      const identity = await loadKeyFile(config.node.key_file, await passphrase('to unlock the node key'))
      const bridge = await startBridge(config, identity, log, options.role)
      process.stderr.write(
        `Mainframe Bridge ${identity.peerId}\n  API   http://${bridge.apiAddress}  (token: ${config.data_dir}/admin.token)\n`,
      )
      await signalled
      await bridge.stop()
      log.flush()
    })
}

/** Resolves on the first SIGINT or SIGTERM; a second one forces exit 1. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`${signal}: stopping\n`)
      process.once('SIGINT', () => process.exit(1))
      process.once('SIGTERM', () => process.exit(1))
      resolve()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  })
}
