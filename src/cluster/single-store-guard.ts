import { hostname } from 'node:os'
import { Redis } from 'ioredis'
import { ConfigError } from '../config/errors.ts'
import { BridgeError } from '../core/errors.ts'
import { redactUrl } from '../core/redact.ts'
import type { Logger } from '../log/logger.ts'

const TTL_S = 15
const REFRESH_MS = 5_000

/**
 * `queue.driver: bullmq` shares the queue between processes, `store.driver: sqlite` does not
 * share the store: a second process on the same Redis would route messages against a store
 * that the first cannot see. This claims the Redis prefix for one process (a key with a
 * TTL, refreshed), and refuses a second live one with a clear error. A claim left by a
 * process that died on this host is taken over at once (its pid is gone).
 * @throws ConfigError CLUSTER_STORE_NOT_SHARED; BridgeError QUEUE_UNREACHABLE.
 */
export async function claimSingleStore(
  url: string,
  prefix: string,
  processId: string,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
  } catch (cause) {
    redis.disconnect()
    throw new BridgeError('QUEUE_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)}`, {
      cause,
      hint: 'start Redis, or check queue.redis.url',
      retryable: true,
    })
  }
  const key = `${prefix}:single-store-process`
  const me = JSON.stringify({ id: processId, host: hostname(), pid: process.pid })
  const claimed = await redis.set(key, me, 'EX', TTL_S, 'NX')
  if (!claimed) {
    const other = JSON.parse((await redis.get(key)) ?? '{}') as { id?: string; host?: string; pid?: number }
    if (other.host === hostname() && other.pid !== undefined && !alive(other.pid)) {
      log.warn({ previous: other.id }, 'taking over the Redis prefix from a process that died')
      await redis.set(key, me, 'EX', TTL_S)
    } else if (other.id !== undefined) {
      redis.disconnect()
      throw new ConfigError(
        'CLUSTER_STORE_NOT_SHARED',
        `another bridge process (${other.id}) already uses this Redis with an unshared SQLite store`,
        [
          'several processes need a shared store: set store.driver: postgres (store.postgres.url)',
          'or run one process',
        ],
      )
    }
  }
  const timer = setInterval(() => {
    redis.set(key, me, 'EX', TTL_S).catch((err) => log.warn({ err }, 'cannot refresh the single-store claim'))
  }, REFRESH_MS)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      try {
        if ((await redis.get(key)) === me) await redis.del(key)
      } catch {
        // Redis gone: the claim expires by itself.
      }
      redis.disconnect()
    },
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
