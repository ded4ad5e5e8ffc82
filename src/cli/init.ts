import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { generateToken } from '../api/tokens.ts'
import { ConfigError } from '../config/errors.ts'
import { generateIdentity } from '../crypto/identity.ts'
import { saveKeyFile } from '../crypto/keyfile.ts'

export interface InitResult {
  readonly dir: string
  readonly configPath: string
  readonly peerId: string
  readonly encrypted: boolean
}

const CONFIG_HEADER = `# Mainframe Bridge configuration, written by \`mainframe-bridge init\`.
# Every key, with its default, is documented in config/example.yaml of the source.
# Relative paths are taken from data_dir, which defaults to this file's folder.
# Any key can be overridden from the environment: MFB_<SECTION>__<KEY>, e.g. MFB_API__LISTEN.
`

/**
 * Creates a data directory: config.yaml, keys/node.json (encrypted when a passphrase is given),
 * registration.yaml for Matrix (fresh as/hs tokens) and admin.token. Secrets are written 0600.
 * @throws ConfigError when the directory already holds a config (nothing is overwritten).
 */
export async function initDataDir(dirArg: string, passphrase: string | undefined): Promise<InitResult> {
  const dir = resolve(dirArg)
  const configPath = join(dir, 'config.yaml')
  if (existsSync(configPath))
    throw new ConfigError('INIT_EXISTS', `${configPath} already exists`, [
      `this directory is initialized; start it with \`mainframe-bridge start --config ${configPath}\``,
      'or pick another --dir',
    ])
  await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 })

  const identity = generateIdentity()
  await saveKeyFile(join(dir, 'keys', 'node.json'), identity, passphrase)
  await writeFile(join(dir, 'registration.yaml'), registration(), { mode: 0o600 })
  await writeFile(join(dir, 'admin.token'), `${generateToken()}\n`, { mode: 0o600 })
  const config = { api: { listen: '127.0.0.1:8080' }, log: { level: 'info' }, store: { driver: 'sqlite' } }
  await writeFile(configPath, CONFIG_HEADER + stringify(config), { mode: 0o600 })
  return { dir, configPath, peerId: identity.peerId, encrypted: passphrase !== undefined }
}

/** The Matrix application service registration the homeserver loads (tokens fresh per init). */
function registration(): string {
  const token = () => randomBytes(32).toString('base64url')
  return stringify({
    id: 'mainframe-bridge',
    url: 'http://127.0.0.1:8080',
    as_token: token(),
    hs_token: token(),
    sender_localpart: '_mainframe_bot',
    rate_limited: false,
    receive_ephemeral: true,
    namespaces: {
      users: [{ exclusive: true, regex: '@_mainframe_.*' }],
      aliases: [{ exclusive: true, regex: '#_mainframe_.*' }],
      rooms: [],
    },
  })
}
