import type { Repos, Store } from './port.ts'

/** Runs `fn` in a transaction shared with the other calls made in the same turn of the event loop. */
export type GroupCommit = <T>(fn: (tx: Repos) => Promise<T>) => Promise<T>

interface Pending {
  readonly fn: (tx: Repos) => Promise<unknown>
  readonly resolve: (value: unknown) => void
  readonly reject: (err: unknown) => void
}

/**
 * Group commit over the store: the transactions requested during one turn of the event loop
 * run one after another inside a single store transaction, so a burst of small writes pays
 * for one commit instead of one each. When the shared transaction fails, each function is run
 * again in a transaction of its own, so one bad write fails alone and the others still commit.
 * Functions must be free of side effects other than calls on `tx` (the store's transaction
 * contract already asks that).
 */
export function groupCommit(store: Store, maxBatch = 256): GroupCommit {
  const pending: Pending[] = []
  let scheduled = false

  const flush = async () => {
    scheduled = false
    const batch = pending.splice(0, maxBatch)
    if (pending.length) schedule()
    if (batch.length === 1) {
      const only = batch[0] as Pending
      return store.transaction(only.fn).then(only.resolve, only.reject)
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
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(() => void flush())
  }

  return <T>(fn: (tx: Repos) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      schedule()
    })
}
