import { isSerializationFailure, retryLocks } from './conflicts.ts'
import { mergeKeys, type Plan, TxConnection } from './connection.ts'
import type { Db, Isolation } from './db.ts'
import { isConnectionError } from './errors.ts'
import type { PgPool } from './pool.ts'

/**
 * Transactions on the pool (each attempt on a `TxConnection`), and the store's own `Db`.
 *
 * Serializable transactions are optimistic: PostgreSQL aborts one of two conflicting ones
 * (40001), and the runner runs it again. So that a retried transaction gets through, every
 * transaction passes a gate, a table lock taken right after BEGIN (LOCK TABLE takes no
 * snapshot, so the transaction's snapshot comes after the wait): ROW SHARE for a first
 * attempt, which never blocks another, and EXCLUSIVE for a retry, which then runs alone among
 * the transactions of every process, on a snapshot taken after the others finished. A
 * conflict that names its hot spot (delivery pairs, see `conflicts.ts`) is retried without
 * stopping the others: the retry first waits for those advisory locks (session level, before
 * BEGIN), then runs on a snapshot taken after their previous holders committed. Better still,
 * a transaction that needs such locks before its first statement takes them that way at once
 * (`Db.lockFirst`), and waits its turn instead of failing. Only autocommitted single
 * statements go ungated.
 *
 * Lock order, so that no two transactions wait for each other: advisory locks are waited for
 * only before BEGIN, in sorted order, never while holding the gate; inside a transaction they
 * are only tried.
 */

/** Attempts of one transaction before STORE_CONFLICT. */
export const MAX_ATTEMPTS = 5
/** The advisory lock class of the bridge ('MFB'); object 0 guards migrations. */
export const LOCK_CLASS = 0x4d4642

/**
 * Runs `body` in a transaction on one pooled connection: waits for the advisory locks
 * `lockKeys` (if any), BEGIN, body, COMMIT; ROLLBACK when
 * body throws. A serialization failure (thrown by body, by COMMIT, or while waiting for the
 * plan's locks) runs body again, up to MAX_ATTEMPTS in all, then the STORE_CONFLICT
 * (retryable) is thrown. A connection that broke is destroyed, not returned to the pool.
 */
export async function runInTransaction<T>(
  pool: PgPool,
  isolation: Isolation,
  body: (db: Db) => Promise<T>,
  lockKeys: readonly string[] = [],
): Promise<T> {
  const tx = new TxConnection(pool, await pool.acquire(), isolation)
  tx.plan = { exclusive: false, keys: mergeKeys([], lockKeys) }
  let destroy = false
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await tx.begin()
        const value = await body(tx.db)
        await tx.commit()
        destroy = !(await tx.unlockAll())
        return value
      } catch (err) {
        destroy = isConnectionError(err) || !(await tx.rollback())
        if (destroy || !isSerializationFailure(err) || attempt >= MAX_ATTEMPTS) throw err
        tx.plan = nextPlan(tx.plan, err, attempt)
      }
    }
  } finally {
    tx.release(destroy)
  }
}

/** A conflict naming its locks waits for them (once more at most); any other runs alone. */
function nextPlan(plan: Plan, err: unknown, attempt: number): Plan {
  const keys = retryLocks(err)
  if (keys.length === 0 || plan.exclusive || attempt >= 3) return { exclusive: true, keys: [] }
  return { exclusive: false, keys: mergeKeys(plan.keys, keys) }
}

/** The store's `Db`: each statement autocommitted on a pooled connection; `atomic` in its own transaction. */
export function poolDb(pool: PgPool): Db {
  return {
    rows: async (sql, params) => (await pool.run(sql, params ?? [])).rows,
    count: async (sql, params) => (await pool.run(sql, params ?? [])).rowCount ?? 0,
    atomic: (work, isolation = 'serializable', lockKeys = []) =>
      runInTransaction(pool, isolation, (db) => work(db, true), lockKeys),
    alone: false,
    lockFirst: async () => false,
  }
}
