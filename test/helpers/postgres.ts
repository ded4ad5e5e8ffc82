import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

const PG_ROOT = '/usr/lib/postgresql'

/** A private PostgreSQL cluster for one test file (or one benchmark run). */
export interface TestPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`: the cluster's default database (trust auth). */
  readonly url: string
  readonly port: number
  /** The cluster's directory: data/, the socket, log. */
  readonly dir: string
  /** Creates a fresh, empty database and returns its URL, so that suites do not share tables. */
  createDatabase(): Promise<string>
  /** Stops the server (fast shutdown: connections are cut) and starts it again on the same port. */
  restart(): Promise<void>
  /** Stops the server, keeping its data (an outage); `resume` starts it again on the same port. */
  halt(): Promise<void>
  /** Starts the server `halt` stopped. */
  resume(): Promise<void>
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts Debian's PostgreSQL (the newest /usr/lib/postgresql/<v>/bin) as a private cluster:
 * initdb in a temp dir of its own (owned by the `postgres` user when running as root, which
 * PostgreSQL refuses to run as), trust auth, UTF8 with the C locale, fsync off, listening on
 * a free 127.0.0.1 port and a socket in that dir. Resolves once it accepts connections.
 * @throws when PostgreSQL is not installed (run `bash scripts/test-servers.sh`), or when the
 *   server does not start (the message holds the end of its log).
 */
/** Extra addresses to listen on (besides 127.0.0.1), and client networks to trust, e.g. for test hosts in network namespaces. */
export interface PostgresOptions {
  readonly listen?: readonly string[]
  readonly trustNetworks?: readonly string[]
}

export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = findBinDir()
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  const dir = mkdtempSync(join(tmpdir(), 'mfb-pg-'))
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid)
  const asOwner = (file: string, args: string[]) => run(join(bin, file), args, dir, owner)
  const data = join(dir, 'data')
  let port = 0
  const start = async (): Promise<void> => {
    const listen = ['127.0.0.1', ...(options.listen ?? [])].join(',')
    const settings = `-p ${port} -k ${dir} -c listen_addresses=${listen} -c fsync=off -c full_page_writes=off -c max_connections=300`
    await asOwner('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'])
  }
  const halt = async (): Promise<void> => {
    if (existsSync(join(data, 'postmaster.pid')))
      await asOwner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'])
  }
  try {
    await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '-N'])
    for (const network of options.trustNetworks ?? [])
      appendFileSync(join(data, 'pg_hba.conf'), `host all all ${network} trust\n`)
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      port = await freePort()
      try {
        await start()
        lastError = undefined
        break
      } catch (err) {
        lastError = err
      }
    }
    if (lastError !== undefined) throw lastError
  } catch (err) {
    await halt().catch(() => undefined)
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').slice(-2000) : ''
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`)
  }
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`
  let stopped: Promise<void> | undefined
  return {
    url,
    port,
    dir,
    createDatabase: async () => {
      const name = `mfb_${randomBytes(6).toString('hex')}`
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE ${name}`)
      } finally {
        await client.end()
      }
      return `postgresql://postgres@127.0.0.1:${port}/${name}`
    },
    restart: async () => {
      await halt()
      await start()
    },
    halt,
    resume: start,
    stop: () => {
      stopped ??= halt()
        .catch(() => undefined)
        .then(() => rmSync(dir, { recursive: true, force: true }))
      return stopped
    },
  }
}

/** The bin dir of the newest installed major version. */
function findBinDir(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  const newest = versions[0]
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL is missing (no ${PG_ROOT}/<version>/bin/initdb): run \`bash scripts/test-servers.sh\` (as root) to install it`,
    )
  }
  return join(PG_ROOT, newest, 'bin')
}

function postgresUser(): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':')
    if (name === 'postgres') return { uid: Number(uid), gid: Number(gid) }
  }
  throw new Error(
    'the postgres user is missing: run `bash scripts/test-servers.sh` (as root) to install PostgreSQL',
  )
}

function run(file: string, args: string[], cwd: string, owner?: { uid: number; gid: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' }
    execFile(file, args, { cwd, env, timeout: 60_000, ...owner }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.at(-1)} failed: ${stderr || err.message}`))
      else resolve()
    })
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
