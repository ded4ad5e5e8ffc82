import type { Repos, Store } from './port.ts'

/** Runs `fn` in a transaction shared with the other calls waiting at the same time. */
export type GroupCommit = <T>(fn: (tx: Repos) => Promise<T>) => Promise<T>

interface Pending {
  readonly fn: (tx: Repos) => Promise<unknown>
  readonly resolve: (value: unknown) => void
  readonly reject: (err: unknown) => void
}

/**
 * Group commit over the store: one shared transaction at a time; the transactions requested
 * while it runs wait and then run together, one after another, inside the next one. A burst
 * of small writes pays for one commit instead of one each, and the batches never contend
 * with each other (on PostgreSQL they would otherwise abort each other's serializable
 * transactions). When a shared transaction fails, each function runs again in a transaction
 * of its own, so one bad write fails alone and the others still commit. Functions must be
 * free of side effects other than calls on `tx` (the store's transaction contract asks that).
 */
export function groupCommit(store: Store, maxBatch = 256): GroupCommit {
  const pending: Pending[] = []
  let running = false

  const runBatch = async (batch: Pending[]) => {
    if (batch.length === 1) {
      const only = batch[0] as Pending
      await store.transaction(only.fn).then(only.resolve, only.reject)
      return
    }
    let results: unknown[]
    try {
      results = await store.transaction(async (tx) => {
        const out: unknown[] = []
        for (const p of batch) out.push(await p.fn(tx))
        return out
      })
    } catch {
      for (const p of batch) await store.transaction(p.fn).then(p.resolve, p.reject)
      return
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i])
  }

  const drain = async () => {
    running = true
    // One turn of the event loop lets the callers of this turn join the first batch.
    await new Promise((resolve) => setImmediate(resolve))
    while (pending.length) await runBatch(pending.splice(0, maxBatch))
    running = false
  }

  return <T>(fn: (tx: Repos) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      if (!running) void drain()
    })
}
