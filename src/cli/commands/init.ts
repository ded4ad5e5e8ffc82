import type { Command } from 'commander'
import { initDataDir } from '../init.ts'
import { passphrase } from '../prompt.ts'

export function initCommand(program: Command): void {
  program
    .command('init')
    .description('create a data directory: config.yaml, node keys, Matrix registration.yaml and admin.token')
    .option('--dir <dir>', 'the data directory to create', 'data')
    .addHelpText(
      'after',
      '\nThe node key is encrypted when MFB_PASSPHRASE is set (or a passphrase is typed at the prompt).\nExit codes: 0 done, 2 when the directory is already initialized.',
    )
    .action(async (options: { dir: string }) => {
      const secret = await passphrase('for the node key (empty: store it unencrypted)')
      const result = await initDataDir(options.dir, secret)
      process.stderr.write(
        `initialized ${result.dir}\n  peer id: ${result.peerId}\n  key: ${result.encrypted ? 'encrypted' : 'NOT encrypted (set MFB_PASSPHRASE to encrypt)'}\n  start: mainframe-bridge start --config ${result.configPath}\n`,
      )
    })
}
