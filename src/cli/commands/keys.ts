import type { Command } from 'commander'
import { loadConfig } from '../../config/load.ts'
import { x25519PublicKeyFromEd25519 } from '../../crypto/identity.ts'
import { readKeyFileInfo } from '../../crypto/keyfile.ts'

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('inspect the node keys')
  keys
    .command('show')
    .description('print the peer id and public keys (no passphrase needed)')
    .option('--config <file>', 'the config file', 'data/config.yaml')
    .option('--json', 'print JSON')
    .action(async (options: { config: string; json?: boolean }) => {
      const config = loadConfig({ path: options.config })
      const info = await readKeyFileInfo(config.node.key_file)
      const out = {
        peerId: info.peerId,
        ed25519: Buffer.from(info.publicKey).toString('hex'),
        x25519: Buffer.from(x25519PublicKeyFromEd25519(info.publicKey)).toString('hex'),
        encrypted: info.encrypted,
        file: config.node.key_file,
      }
      if (options.json) console.log(JSON.stringify(out, null, 2))
      else
        console.log(
          `peer id    ${out.peerId}\ned25519    ${out.ed25519}\nx25519     ${out.x25519}\nencrypted  ${out.encrypted ? 'yes' : 'no'}\nfile       ${out.file}`,
        )
    })
}
