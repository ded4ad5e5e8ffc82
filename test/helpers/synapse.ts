import { type ChildProcess, spawn } from 'node:child_process'
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ICreateClientOpts } from 'matrix-js-sdk'
import { stringify } from 'yaml'
import { freePort } from './driven-child.ts'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** Where scripts/install-synapse.sh puts the virtualenv. */
export const SYNAPSE_VENV = join(REPO, '.cache/synapse')
const STAMP_PREFIX = '.installed-matrix-synapse-'

/**
 * A matrix-js-sdk logger for test clients (`createClient({ logger: quietSdkLogger })`): the
 * default one prints every request at debug level; this keeps warnings and errors only.
 */
export const quietSdkLogger: NonNullable<ICreateClientOpts['logger']> = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (...msg: unknown[]) => console.error('matrix-js-sdk:', ...msg),
  error: (...msg: unknown[]) => console.error('matrix-js-sdk:', ...msg),
  getChild: () => quietSdkLogger,
}

/** One namespace entry of an appservice registration. */
export interface Namespace {
  readonly exclusive: boolean
  readonly regex: string
}

/** An appservice registration, as the homeserver reads it from YAML. */
export interface AppserviceRegistration {
  readonly id: string
  /** Where the homeserver pushes transactions; null for an AS that only calls the client API. */
  readonly url: string | null
  readonly as_token: string
  readonly hs_token: string
  readonly sender_localpart: string
  readonly namespaces: {
    readonly users?: readonly Namespace[]
    readonly aliases?: readonly Namespace[]
    readonly rooms?: readonly Namespace[]
  }
  readonly rate_limited?: boolean
  readonly receive_ephemeral?: boolean
  readonly [key: string]: unknown
}

export interface SynapseOptions {
  /** The appservice to load: a path to its registration YAML, or the registration itself. */
  readonly registration?: string | AppserviceRegistration
  /** Defaults to `localhost`: user ids are then `@name:localhost`. */
  readonly serverName?: string
  /** Top-level homeserver.yaml keys set over the generated ones (e.g. `experimental_features`). */
  readonly config?: Readonly<Record<string, unknown>>
  /** How long to wait for the client API to answer; default 60 s. */
  readonly startTimeoutMs?: number
  /** Keep the temp dir (config, database, log) after `stop`, to read it after a failure. */
  readonly keepDir?: boolean
}

export interface RegisteredUser {
  readonly userId: string
  readonly accessToken: string
  readonly deviceId: string
}

/** A running Synapse, private to the caller. */
export interface Synapse {
  /** `http://127.0.0.1:<port>`: client API and `/_synapse/admin`; no federation listener. */
  readonly baseUrl: string
  readonly serverName: string
  /** The installed matrix-synapse version. */
  readonly version: string
  /** Temp dir holding homeserver.yaml, the SQLite database, media and the log. */
  readonly dir: string
  /** Synapse's stdout and stderr (its default logging is INFO to stderr). */
  readonly logPath: string
  /** Milliseconds from spawn until `/_matrix/client/versions` answered. */
  readonly startupMs: number
  /**
   * Creates a user through the shared-secret admin API (works with registration disabled)
   * and returns its fresh login.
   * @throws when Synapse refuses (the message holds its status and errcode), e.g. M_USER_IN_USE.
   */
  registerUser(localpart: string, password: string, admin?: boolean): Promise<RegisteredUser>
  /** SIGTERM, then SIGKILL after 5 s; removes the temp dir unless `keepDir`. Idempotent. */
  stop(): Promise<void>
}

/** Thrown when the virtualenv from scripts/install-synapse.sh is missing. */
export class SynapseNotInstalledError extends Error {
  constructor(venv: string) {
    super(
      `Synapse is not installed (no finished install in ${venv}).\n` +
        'Run: bash scripts/install-synapse.sh (as root on a fresh machine: it may apt-get python3-venv)',
    )
    this.name = 'SynapseNotInstalledError'
  }
}

/** The installed version, from the stamp the install script writes last. */
function installedVersion(venv: string): string {
  const stamp = existsSync(venv) ? readdirSync(venv).find((f) => f.startsWith(STAMP_PREFIX)) : undefined
  if (stamp === undefined || !existsSync(join(venv, 'bin/python'))) throw new SynapseNotInstalledError(venv)
  return stamp.slice(STAMP_PREFIX.length)
}

/**
 * Starts a private Synapse: a fresh temp dir with a generated homeserver.yaml (server name
 * `localhost`, one HTTP listener on a free 127.0.0.1 port, SQLite, no federation and no key
 * servers, shared-secret registration, rate limits raised far out of the way, presence and URL
 * previews off) and the given appservice loaded. Resolves once the client API answers.
 * @throws SynapseNotInstalledError when scripts/install-synapse.sh has not run; an Error with
 *   the end of Synapse's log when it exits or does not answer in time.
 * @example
 *   const hs = await startSynapse({ registration: { id: 'mf', url: asUrl, ... } })
 *   const alice = await hs.registerUser('alice', 'secret')
 *   await hs.stop()
 */
export async function startSynapse(options: SynapseOptions = {}): Promise<Synapse> {
  const version = installedVersion(SYNAPSE_VENV)
  const serverName = options.serverName ?? 'localhost'
  const dir = mkdtempSync(join(tmpdir(), 'mfb-synapse-'))
  const sharedSecret = randomBytes(24).toString('hex')
  const registrationPath = writeRegistration(dir, options.registration)
  writeSigningKey(join(dir, 'signing.key'))
  const logPath = join(dir, 'homeserver.log')
  try {
    // A free port can be taken between probing and binding: retry with another one.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const config = homeserverConfig({ dir, serverName, port, sharedSecret, registrationPath })
      writeFileSync(join(dir, 'homeserver.yaml'), stringify({ ...config, ...options.config }))
      const baseUrl = `http://127.0.0.1:${port}`
      const started = Date.now()
      const child = spawnSynapse(dir, logPath)
      try {
        await waitForClientApi(baseUrl, child, options.startTimeoutMs ?? 60_000)
      } catch (err) {
        await terminate(child)
        if (attempt < 3 && logTail(logPath).includes('Address already in use')) continue
        throw new Error(`${(err as Error).message}\n--- ${logPath} (end) ---\n${logTail(logPath)}`)
      }
      return running(
        { baseUrl, serverName, version, dir, logPath, startupMs: Date.now() - started },
        {
          child,
          sharedSecret,
          keepDir: options.keepDir ?? false,
        },
      )
    }
  } catch (err) {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

function running(
  info: Omit<Synapse, 'registerUser' | 'stop'>,
  ctx: { child: ChildProcess; sharedSecret: string; keepDir: boolean },
): Synapse {
  // Not left behind if the test process ends without calling stop().
  const killOnExit = () => ctx.child.kill('SIGKILL')
  process.once('exit', killOnExit)
  let stopped: Promise<void> | undefined
  return {
    ...info,
    registerUser: (localpart, password, admin = false) =>
      registerWithSharedSecret(info.baseUrl, ctx.sharedSecret, localpart, password, admin),
    stop: () => {
      stopped ??= (async () => {
        process.off('exit', killOnExit)
        await terminate(ctx.child)
        if (!ctx.keepDir) rmSync(info.dir, { recursive: true, force: true })
      })()
      return stopped
    },
  }
}

/** The rate limit given to every `rc_*` key: high enough that no test ever meets it. */
const UNLIMITED = { per_second: 10_000, burst_count: 10_000 }

function homeserverConfig(p: {
  dir: string
  serverName: string
  port: number
  sharedSecret: string
  registrationPath: string | undefined
}): Record<string, unknown> {
  return {
    server_name: p.serverName,
    listeners: [
      {
        port: p.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        // `client` also serves /_synapse/admin; leaving out `federation` means no federation API.
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    database: { name: 'sqlite3', args: { database: join(p.dir, 'homeserver.db') } },
    media_store_path: join(p.dir, 'media'),
    signing_key_path: join(p.dir, 'signing.key'),
    // No outbound federation and no key fetching from matrix.org (no network in tests).
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    report_stats: false,
    enable_metrics: false,
    enable_registration: false,
    registration_shared_secret: p.sharedSecret,
    macaroon_secret_key: randomBytes(24).toString('hex'),
    form_secret: randomBytes(24).toString('hex'),
    app_service_config_files: p.registrationPath === undefined ? [] : [p.registrationPath],
    // Less work per request and at start; the tests don't use these.
    presence: { enabled: false },
    url_preview_enabled: false,
    rc_message: UNLIMITED,
    rc_registration: UNLIMITED,
    rc_login: { address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED },
    rc_joins: { local: UNLIMITED, remote: UNLIMITED },
    rc_joins_per_room: UNLIMITED,
    rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
    rc_third_party_invite: UNLIMITED,
    rc_admin_redaction: UNLIMITED,
    rc_room_creation: UNLIMITED,
    rc_media_create: UNLIMITED,
    rc_profile: UNLIMITED,
    rc_user_directory: UNLIMITED,
    rc_delayed_event_mgmt: UNLIMITED,
    rc_reports: UNLIMITED,
    rc_key_requests: UNLIMITED,
    rc_3pid_validation: UNLIMITED,
    rc_presence: { per_user: UNLIMITED },
  }
}

function writeRegistration(dir: string, registration: SynapseOptions['registration']): string | undefined {
  if (registration === undefined) return undefined
  if (typeof registration === 'string') {
    const path = resolve(registration)
    if (!existsSync(path)) throw new Error(`appservice registration not found: ${path}`)
    return path
  }
  const path = join(dir, 'registration.yaml')
  writeFileSync(path, stringify(registration))
  return path
}

/**
 * Writes the server's ed25519 signing key in Synapse's format (`ed25519 <version> <unpadded
 * base64 seed>`). Done here rather than with `--generate-keys`, which is a second Python start
 * (~2 s) for one line of text.
 */
function writeSigningKey(path: string): void {
  const { privateKey } = generateKeyPairSync('ed25519')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
  writeFileSync(path, `ed25519 a_mfb ${seed.toString('base64').replace(/=+$/, '')}\n`, { mode: 0o600 })
}

function spawnSynapse(dir: string, logPath: string): ChildProcess {
  const log = openSync(logPath, 'a')
  try {
    return spawn(
      join(SYNAPSE_VENV, 'bin/python'),
      ['-m', 'synapse.app.homeserver', '--config-path', join(dir, 'homeserver.yaml')],
      {
        cwd: dir,
        stdio: ['ignore', log, log],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          // Synapse runs `git describe` in its package dir for its version string; the venv
          // lives inside our repo, so it would report (and spend time on) our git state.
          GIT_CEILING_DIRECTORIES: SYNAPSE_VENV,
        },
      },
    )
  } finally {
    closeSync(log)
  }
}

async function waitForClientApi(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`Synapse exited (${child.exitCode ?? child.signalCode}) before its client API answered`)
    try {
      const res = await fetch(`${baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`Synapse did not answer ${baseUrl}/_matrix/client/versions within ${timeoutMs} ms`)
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

function logTail(logPath: string, lines = 40): string {
  if (!existsSync(logPath)) return '(no log)'
  return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

/** The shared-secret registration of `/_synapse/admin/v1/register`: GET a nonce, POST an HMAC-SHA1 of it. */
async function registerWithSharedSecret(
  baseUrl: string,
  secret: string,
  localpart: string,
  password: string,
  admin: boolean,
): Promise<RegisteredUser> {
  const url = `${baseUrl}/_synapse/admin/v1/register`
  const nonceRes = await fetch(url)
  if (!nonceRes.ok) throw new Error(`GET ${url}: ${nonceRes.status} ${await nonceRes.text()}`)
  const { nonce } = (await nonceRes.json()) as { nonce: string }
  // The MAC covers nonce, user, password and admin flag, NUL-separated, in this order.
  const mac = createHmac('sha1', secret)
    .update([nonce, localpart, password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex')
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
  })
  const body = (await res.json()) as Record<string, string>
  if (!res.ok) throw new Error(`registering @${localpart}: ${res.status} ${body.errcode}: ${body.error}`)
  return {
    userId: body.user_id as string,
    accessToken: body.access_token as string,
    deviceId: body.device_id as string,
  }
}
