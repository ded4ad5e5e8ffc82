import type { Logger } from '../log/logger.ts'
import type { Store } from '../store/port.ts'

/** A lease while this process holds it. */
export interface HeldLease {
  readonly name: string
  /** The fencing token: pass it to `tx.leases.check(name, token)` in every guarded write. */
  readonly token: number
  /** Aborted when the lease is lost (renewal failed) or the keeper stops. */
  readonly signal: AbortSignal
}

export interface LeaseKeeperOptions {
  /** How long a lease lives without renewal; another process takes it over after that. */
  readonly ttlMs: number
  /** How often the holder renews (default ttl / 3) and a waiter retries (default ttl / 4). */
  readonly renewEveryMs?: number
  readonly retryEveryMs?: number
}

export interface LeaseKeeper {
  /** Whether this process holds the lease now. */
  readonly held: boolean
  /** Stops the work (aborts its signal, waits for it) and releases the lease at once. */
  stop(): Promise<void>
}

/**
 * Runs `work` in at most one process at a time: whoever holds the lease `name` runs it; the
 * others wait and take over within `ttlMs` of the holder's death (at once when it stops
 * cleanly, since stop releases). `work` must return when its signal aborts and guard its
 * writes with the fencing token, so a holder that was paused past its TTL cannot write.
 */
export function keepLease(
  store: Store,
  name: string,
  holder: string,
  work: (lease: HeldLease) => Promise<void>,
  options: LeaseKeeperOptions,
  log: Logger,
): LeaseKeeper {
  const renewEvery = options.renewEveryMs ?? Math.max(1, Math.floor(options.ttlMs / 3))
  const retryEvery = options.retryEveryMs ?? Math.max(1, Math.floor(options.ttlMs / 4))
  const stopping = new AbortController()
  let held = false

  const holdOnce = async (token: number): Promise<void> => {
    const lost = new AbortController()
    const onStop = () => lost.abort(stopping.signal.reason)
    stopping.signal.addEventListener('abort', onStop, { once: true })
    held = true
    log.info({ lease: name, token }, 'lease acquired')
    const renew = setInterval(async () => {
      try {
        if (!(await store.leases.renew(name, holder, token, options.ttlMs))) {
          log.warn({ lease: name, token }, 'lease lost: another process holds it now')
          lost.abort(new Error('lease lost'))
        }
      } catch (err) {
        log.warn({ err, lease: name }, 'lease renewal failed; retrying')
      }
    }, renewEvery)
    try {
      await work({ name, token, signal: lost.signal })
    } catch (err) {
      if (!lost.signal.aborted)
        log.error({ err, lease: name }, 'work under lease failed; releasing the lease')
    } finally {
      clearInterval(renew)
      stopping.signal.removeEventListener('abort', onStop)
      held = false
      await store.leases.release(name, holder, token).catch(() => false)
    }
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const lease = await store.leases.acquire(name, holder, options.ttlMs)
        if (lease) await holdOnce(lease.token)
      } catch (err) {
        log.warn({ err, lease: name }, 'cannot reach the store for the lease; retrying')
      }
      if (!stopping.signal.aborted) await sleep(retryEvery, stopping.signal)
    }
  })()

  return {
    get held() {
      return held
    },
    async stop() {
      stopping.abort(new Error('stopping'))
      await loop
    },
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
