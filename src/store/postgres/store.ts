import { AsyncLocalStorage } from 'node:async_hooks'
import { BridgeError } from '../../core/errors.ts'
import type { BlobRepo } from '../blob-port.ts'
import type { LeaseRepo, ProcessRepo } from '../cluster-port.ts'
import { closed, invalidArgument, openFailed, txAborted, txMisuse } from '../errors.ts'
import type { IdentityRepo } from '../identity-port.ts'
import type { NativeIdRepo } from '../native-port.ts'
import type { GroupRepo, HeldRepo } from '../node-port.ts'
import type {
  CursorRepo,
  DedupeRepo,
  DeliveryRepo,
  LinkRepo,
  MessageRepo,
  Repos,
  Store,
  TokenRepo,
  TraceRepo,
} from '../port.ts'
import { bindRepos } from './bind.ts'
import { isSerializationFailure } from './conflicts.ts'
import type { Db, Run } from './db.ts'
import { applyMigrations, assertKnownSchema, readSchemaVersion } from './migrate.ts'
import { MIGRATIONS } from './migrations.ts'
import { PgPool, type PgPoolSettings } from './pool.ts'
import { TxSession } from './session.ts'
import { poolDb, runInTransaction } from './tx.ts'

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (query parameters as node-postgres reads them). */
  url: string
  /** Connections of this handle's pool; default 10. */
  poolSize?: number
  /** Server-side limit of one statement (also of a lock wait), then STORE_BUSY; default 30000 ms, 0 = none. */
  statementTimeoutMs?: number
  /** How long to wait for a new connection, then STORE_UNAVAILABLE; default 5000 ms. */
  connectTimeoutMs?: number
  /** How long a call waits for a free connection of the pool, then STORE_BUSY; default 30000 ms. */
  acquireTimeoutMs?: number
}

/**
 * Opens the store on PostgreSQL through a node-postgres pool, and checks that the database was
 * not migrated by a newer bridge. Call `migrate()` before the first repo call.
 *
 * Calls outside a transaction each run on a pooled connection (several at once); a
 * transaction holds one connection until it ends. Transactions are SERIALIZABLE and run again
 * on a serialization failure (see `tx.ts`). When the server goes away, calls fail with
 * STORE_UNAVAILABLE (retryable) and the next call after it is back reconnects: the handle
 * never needs reopening. Several handles and processes may share one database.
 *
 * @throws STORE_INVALID_ARGUMENT on bad options; STORE_UNAVAILABLE (retryable) when the server
 *   cannot be reached; STORE_OPEN_FAILED on bad credentials or a missing database;
 *   STORE_SCHEMA_TOO_NEW. No error holds the password of the URL.
 * @example
 *   const store = await openPostgresStore({ url: 'postgres://bridge:pw@db:5432/bridge' })
 *   await store.migrate()
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new PgPool(checkOptions(options))
  try {
    await assertKnownSchema(pool, MIGRATIONS)
  } catch (err) {
    await pool.end()
    if (err instanceof BridgeError && err.code === 'STORE_QUERY_FAILED')
      throw openFailed(
        pool.where,
        err,
        'check store.postgres.url, and that the database belongs to the bridge',
      )
    throw err
  }
  return new PostgresStore(pool)
}

class PostgresStore implements Store {
  readonly driver = 'postgres' as const
  readonly tokens: TokenRepo
  readonly cursors: CursorRepo
  readonly dedupe: DedupeRepo
  readonly links: LinkRepo
  readonly messages: MessageRepo
  readonly deliveries: DeliveryRepo
  readonly traces: TraceRepo
  readonly leases: LeaseRepo
  readonly processes: ProcessRepo
  readonly held: HeldRepo
  readonly groups: GroupRepo
  readonly identities: IdentityRepo
  readonly natives: NativeIdRepo
  readonly blobs: BlobRepo
  readonly #pool: PgPool
  readonly #db: Db
  readonly #insideTx = new AsyncLocalStorage<TxSession>()
  readonly #running = new Set<Promise<unknown>>()
  #closed = false
  #closing: Promise<void> | undefined

  constructor(pool: PgPool) {
    this.#pool = pool
    this.#db = poolDb(pool)
    const run: Run = (work) => this.#call(() => work(this.#db))
    const repos = bindRepos(run)
    this.tokens = repos.tokens
    this.cursors = repos.cursors
    this.dedupe = repos.dedupe
    this.links = repos.links
    this.messages = repos.messages
    this.deliveries = repos.deliveries
    this.traces = repos.traces
    this.leases = repos.leases
    this.processes = repos.processes
    this.held = repos.held
    this.groups = repos.groups
    this.identities = repos.identities
    this.natives = repos.natives
    this.blobs = repos.blobs
  }

  migrate(): Promise<number[]> {
    return this.#call(() => applyMigrations(this.#pool, MIGRATIONS))
  }

  schemaVersion(): Promise<number> {
    return this.#call(() => readSchemaVersion(this.#pool))
  }

  ping(): Promise<void> {
    return this.#call(async () => {
      await this.#pool.run('SELECT 1 AS ok')
    })
  }

  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return this.#call(() => runInTransaction(this.#pool, 'serializable', (db) => this.#attempt(db, fn)))
  }

  async close(): Promise<void> {
    this.#guardReentry('close')
    this.#closing ??= (async () => {
      this.#closed = true
      while (this.#running.size > 0) await Promise.all([...this.#running])
      await this.#pool.end()
    })()
    return this.#closing
  }

  /** One attempt of fn on the transaction's connection; see `Store.transaction` for the rules. */
  async #attempt<T>(db: Db, fn: (tx: Repos) => Promise<T>): Promise<T> {
    const session = new TxSession()
    let outcome: { ok: true; value: T } | { ok: false; error: unknown }
    try {
      const value = await this.#insideTx.run(session, () => fn(bindRepos(session.run(db))))
      outcome = { ok: true, value }
    } catch (error) {
      outcome = { ok: false, error }
    }
    session.active = false
    await session.settle()
    const failure = session.failure
    // Rethrown as is so that runInTransaction runs fn again (or gives up with STORE_CONFLICT).
    if (failure !== undefined && isSerializationFailure(failure.error)) throw failure.error
    if (!outcome.ok) throw outcome.error
    if (failure !== undefined) throw txAborted(failure.error)
    return outcome.value
  }

  /** Runs `work` unless the handle is closed or this is its own transaction; close() waits for it. */
  #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.#guardReentry('use')
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.#closed) return Promise.reject(closed(this.#pool.where))
    const call = Promise.resolve().then(work)
    const settled = call.then(
      () => undefined,
      () => undefined,
    )
    this.#running.add(settled)
    void settled.then(() => this.#running.delete(settled))
    return call
  }

  /** Inside fn the rules forbid the store itself (on SQLite it would wait for itself). */
  #guardReentry(what: string): void {
    if (this.#insideTx.getStore()?.active) {
      throw txMisuse(`cannot ${what} the store inside its own transaction(fn): use the tx argument`)
    }
  }
}

function checkOptions(options: PostgresStoreOptions): PgPoolSettings {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('store.postgres', 'must be an object with a url')
  const { url } = options
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\/./i.test(url))
    throw invalidArgument('store.postgres.url', 'must be a postgres:// or postgresql:// URL')
  return {
    url,
    poolSize: integer('store.postgres.poolSize', options.poolSize, 10, 1),
    statementTimeoutMs: integer('store.postgres.statementTimeoutMs', options.statementTimeoutMs, 30_000, 0),
    connectTimeoutMs: integer('store.postgres.connectTimeoutMs', options.connectTimeoutMs, 5000, 1),
    acquireTimeoutMs: integer('store.postgres.acquireTimeoutMs', options.acquireTimeoutMs, 30_000, 1),
  }
}

function integer(what: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw invalidArgument(what, `must be an integer >= ${min}, got ${String(value)}`)
  return value
}
