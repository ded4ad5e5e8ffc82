import type { PoolClient, QueryResult } from 'pg'
import { txAborted } from '../errors.ts'
import type { Db, Isolation } from './db.ts'
import type { PgPool } from './pool.ts'

/** The gate's table: there from the first migration on; only migrations write it. */
const GATE = 'LOCK TABLE schema_migrations IN'
const BEGIN: Record<Isolation, string> = {
  serializable: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
  'read committed': 'BEGIN ISOLATION LEVEL READ COMMITTED',
}
/**
 * Session-level, so held across BEGIN and released by pg_advisory_unlock_all(); FunctionScan
 * returns the keys in array order, so they are taken in sorted order.
 */
const PRE_LOCK = 'SELECT pg_advisory_lock(k) FROM unnest($1::bigint[]) AS t (k)'

/** How an attempt starts: alone (the gate exclusively) or not, after waiting for `keys` or not. */
export interface Plan {
  exclusive: boolean
  /** Advisory lock keys (signed 64-bit, as text), sorted. */
  keys: string[]
}

/**
 * One pooled connection running the attempts of one transaction (see `tx.ts` for the gate
 * and the retries), and the `Db` its repos use. Every method sends its statements in order on
 * the connection; the failures are store BridgeErrors.
 */
export class TxConnection {
  plan: Plan = { exclusive: false, keys: [] }
  readonly db: Db
  readonly #pool: PgPool
  readonly #client: PoolClient
  readonly #isolation: Isolation
  /** Statements sent since BEGIN: none yet means no snapshot was taken. */
  #statements = 0
  #tail: Promise<unknown> = Promise.resolve()

  constructor(pool: PgPool, client: PoolClient, isolation: Isolation) {
    this.#pool = pool
    this.#client = client
    this.#isolation = isolation
    const self = this
    this.db = {
      rows: async (sql, params) => (await this.#send(sql, params ?? [])).rows,
      count: async (sql, params) => (await this.#send(sql, params ?? [])).rowCount ?? 0,
      atomic: (work) => work(this.db, false),
      lockFirst: (keys) => this.#lockFirst(keys),
      get alone() {
        return self.plan.exclusive
      },
    }
  }

  /** Returns the connection to the pool, or closes it (`destroy`: it may be broken or hold locks). */
  release(destroy: boolean): void {
    this.#pool.release(this.#client, destroy)
  }

  /** Waits for the plan's advisory locks (if any), then BEGIN and the gate. */
  async begin(): Promise<void> {
    this.#statements = 0
    if (this.plan.keys.length > 0) await this.#enqueue(PRE_LOCK, [this.plan.keys])
    await this.#enqueue(this.#beginSql())
  }

  async commit(): Promise<void> {
    const result = await this.#enqueue('COMMIT')
    // COMMIT of a transaction a failed statement aborted answers ROLLBACK, without an error.
    if (result.command !== 'COMMIT')
      throw txAborted(new Error('the database rolled the transaction back at COMMIT'))
  }

  /** Rolls back and releases the advisory locks; false when the connection is unusable. */
  async rollback(): Promise<boolean> {
    try {
      await this.#enqueue('ROLLBACK')
    } catch {
      return false
    }
    return this.unlockAll()
  }

  /** Releases the session-level advisory locks of the plan; false when that failed. */
  async unlockAll(): Promise<boolean> {
    if (this.plan.keys.length === 0) return true
    try {
      await this.#enqueue('SELECT pg_advisory_unlock_all()')
      return true
    } catch {
      return false
    }
  }

  #beginSql(): string {
    return `${BEGIN[this.#isolation]}; ${GATE} ${this.plan.exclusive ? 'EXCLUSIVE' : 'ROW SHARE'} MODE`
  }

  #send(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    this.#statements++
    return this.#enqueue(sql, params)
  }

  /**
   * Sends a statement once the ones before it have finished (node-postgres deprecates queueing
   * on a busy client), in call order.
   */
  #enqueue(sql: string, params?: readonly unknown[]): Promise<QueryResult> {
    const send = () => this.#pool.query(this.#client, sql, params)
    const result = this.#tail.then(send, send)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /**
   * Holds `keys` since before BEGIN: already so (a retry's plan), or, before the first
   * statement (no snapshot yet), by ending the empty transaction, waiting for every key of the
   * plan at session level (released and taken again in sorted order, never one while holding a
   * greater one), and beginning again, so that the snapshot is taken after their previous
   * holders committed. The statements are queued at once, ahead of any later call.
   */
  async #lockFirst(keys: readonly string[]): Promise<boolean> {
    if (keys.every((key) => this.plan.keys.includes(key))) return true
    if (this.#statements > 0 || this.plan.exclusive) return false
    this.#statements++
    const held = this.plan.keys.length > 0
    this.plan = { exclusive: false, keys: mergeKeys(this.plan.keys, keys) }
    await Promise.all([
      this.#enqueue('ROLLBACK'),
      ...(held ? [this.#enqueue('SELECT pg_advisory_unlock_all()')] : []),
      this.#enqueue(PRE_LOCK, [this.plan.keys]),
      this.#enqueue(this.#beginSql()),
    ])
    return true
  }
}

/** The union of two key lists, sorted as signed 64-bit integers (the order locks are taken in). */
export function mergeKeys(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])]
    .map(BigInt)
    .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    .map(String)
}
