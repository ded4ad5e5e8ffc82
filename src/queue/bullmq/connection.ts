import { Redis, type RedisOptions } from 'ioredis'
import { unreachable } from '../errors.ts'

/** How long to wait for Redis to answer at startup, and per connection attempt after. */
export const CONNECT_TIMEOUT_MS = 5000
const REPORT_EVERY_MS = 10_000

/** The two connections a BullMQ driver holds. */
export interface RedisConnections {
  /** Shared by every Queue (add, counts, dead letters): fails a command after a few retries. */
  readonly queue: Redis
  /** Shared by every Worker (BullMQ duplicates it for blocking reads): retries forever. */
  readonly worker: Redis
  /** Disconnects both. Idempotent. */
  close(): Promise<void>
}

/**
 * Checks that Redis at `url` answers PING within CONNECT_TIMEOUT_MS, then opens the queue and
 * worker connections. Connection errors after startup (Redis restarting) are retried by
 * ioredis and reported to `onError` (pass it through `throttled`). Blocks on the network.
 * @throws QUEUE_UNREACHABLE (retryable) naming the URL without its credentials.
 */
export async function connectRedis(url: string, onError: (err: unknown) => void): Promise<RedisConnections> {
  await probe(url)
  const base: RedisOptions = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  }
  const queue = new Redis(url, { ...base, maxRetriesPerRequest: 3 })
  const worker = new Redis(url, { ...base, maxRetriesPerRequest: null })
  queue.on('error', onError)
  worker.on('error', onError)
  let closed: Promise<void> | undefined
  return {
    queue,
    worker,
    close: () => {
      closed ??= Promise.all([quit(queue), quit(worker)]).then(() => undefined)
      return closed
    },
  }
}

async function probe(url: string): Promise<void> {
  let client: Redis
  try {
    client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    })
  } catch (err) {
    throw unreachable(url, err) // a URL ioredis cannot parse
  }
  client.on('error', () => {}) // the connect() rejection carries it
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer to PING within ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    )
  })
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout])
  } catch (err) {
    throw unreachable(url, err)
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}

/** Reports `onError` at most once per REPORT_EVERY_MS per message (Redis down = one error per retry). */
export function throttled(onError: (err: unknown) => void): (err: unknown) => void {
  const lastSeen = new Map<string, number>()
  return (err) => {
    const key = err instanceof Error ? err.message : String(err)
    const now = Date.now()
    if (now - (lastSeen.get(key) ?? 0) < REPORT_EVERY_MS) return
    if (lastSeen.size > 100) lastSeen.clear()
    lastSeen.set(key, now)
    onError(err)
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return
  if (client.status === 'ready') {
    // QUIT waits for the replies of commands in flight; a Redis that stopped answering gets 1 s.
    await settleWithin(client.quit(), 1000)
  }
  client.disconnect()
}

/** Waits for `promise` to settle, at most `ms`; never throws. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}
