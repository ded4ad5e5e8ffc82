import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REDIS_SERVER = '/usr/bin/redis-server'

/** A private Redis for one test file. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** Stops the server by its pid and removes its directory. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts Debian's redis-server on a free 127.0.0.1 port, in a temp dir of its own, without
 * persistence, and resolves once it answers PING.
 * @throws when redis-server is not installed (run `bash scripts/test-servers.sh`), or when it
 *   does not answer within 10 s.
 */
/** `bind`: extra addresses to listen on besides 127.0.0.1 (test hosts in network namespaces). */
export async function startRedis(bind: readonly string[] = []): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `${REDIS_SERVER} is missing: run \`bash scripts/test-servers.sh\` (as root) to install it`,
    )
  }
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'mfb-redis-'))
    const port = await freePort()
    try {
      await run(REDIS_SERVER, [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        ...bind,
        '--protected-mode',
        bind.length ? 'no' : 'yes',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'yes',
        '--pidfile',
        join(dir, 'redis.pid'),
        '--dir',
        dir,
        '--logfile',
        join(dir, 'redis.log'),
      ])
      await waitForPing(port, 10_000, dir)
      let stopped: Promise<void> | undefined
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => {
          stopped ??= stopServer(dir)
          return stopped
        },
      }
    } catch (err) {
      lastError = err
      await stopServer(dir)
    }
  }
  throw lastError
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} failed: ${stderr || err.message}`))
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

async function waitForPing(port: number, timeoutMs: number, dir: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ping(port)) return
    await new Promise((r) => setTimeout(r, 20))
  }
  const log = existsSync(join(dir, 'redis.log'))
    ? readFileSync(join(dir, 'redis.log'), 'utf8').slice(-2000)
    : ''
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms\n${log}`)
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

async function stopServer(dir: string): Promise<void> {
  const pidFile = join(dir, 'redis.pid')
  // The pid file appears just after daemonizing: give it a moment.
  for (let i = 0; i < 50 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 10))
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 5000
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    if (alive(pid)) process.kill(pid, 'SIGKILL')
  }
  rmSync(dir, { recursive: true, force: true })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
