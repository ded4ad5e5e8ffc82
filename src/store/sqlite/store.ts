import { AsyncLocalStorage } from 'node:async_hooks'
import { closed, txAborted, txMisuse } from '../errors.ts'
import type {
  BlobRepo,
  CursorRepo,
  DedupeRepo,
  DeliveryRepo,
  GroupRepo,
  HeldRepo,
  IdentityRepo,
  LeaseRepo,
  LinkRepo,
  MessageRepo,
  NativeIdRepo,
  ProcessRepo,
  Repos,
  Store,
  TokenRepo,
  TraceRepo,
} from '../port.ts'
import { sqliteBlobs } from './blobs.ts'
import { openConnection, type SqliteConnection } from './connection.ts'
import { sqliteCursors } from './cursors.ts'
import { sqliteDedupe } from './dedupe.ts'
import { sqliteDeliveries } from './deliveries.ts'
import { sqliteGroups } from './groups.ts'
import { sqliteHeld } from './held.ts'
import { sqliteIdentities } from './identities.ts'
import { sqliteLeases } from './leases.ts'
import { sqliteLinks } from './links.ts'
import { sqliteMessages } from './messages.ts'
import { applyMigrations, assertKnownSchema, readSchemaVersion } from './migrate.ts'
import { MIGRATIONS } from './migrations.ts'
import { Mutex } from './mutex.ts'
import { sqliteNatives } from './natives.ts'
import { sqliteProcesses } from './processes.ts'
import type { Run } from './run.ts'
import { sqliteTokens } from './tokens.ts'
import { sqliteTraces } from './traces.ts'

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file (its directory is created), or ':memory:' for a private in-memory database. */
  path: string
  /** How long to wait for another process's write lock before STORE_BUSY; default 5000 ms. */
  busyTimeoutMs?: number
}

/**
 * Opens the embedded store on node:sqlite: WAL journal, `synchronous=NORMAL`, foreign keys on,
 * one connection per handle. Call `migrate()` before the first repo call.
 *
 * node:sqlite is synchronous, so every call blocks the event loop while SQLite works — and, when
 * another process holds the write lock, for up to `busyTimeoutMs`. Calls on one handle run one
 * at a time in call order; a call made while a transaction is open waits for it to finish.
 * Use one handle per database per process: two handles in one process would wait on each
 * other's locks with the event loop blocked.
 *
 * @throws STORE_OPEN_FAILED naming the path (directory not writable, path under a regular
 *   file, not a SQLite database); STORE_SCHEMA_TOO_NEW when a newer bridge migrated the file;
 *   STORE_INVALID_ARGUMENT on bad options.
 * @example
 *   const store = await openSqliteStore({ path: join(dataDir, 'bridge.db') })
 *   await store.migrate()
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const conn = openConnection(options.path, options.busyTimeoutMs)
  try {
    assertKnownSchema(conn, MIGRATIONS)
  } catch (err) {
    conn.close()
    throw err
  }
  return new SqliteStore(conn)
}

interface TxState {
  active: boolean
  failure?: { error: unknown }
}

class SqliteStore implements Store {
  readonly driver = 'sqlite' as const
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
  readonly #conn: SqliteConnection
  readonly #mutex = new Mutex()
  readonly #insideTx = new AsyncLocalStorage<TxState>()
  #closed = false
  #closing: Promise<void> | undefined

  constructor(conn: SqliteConnection) {
    this.#conn = conn
    const run: Run = (work) => this.#exclusive(() => work(this.#conn))
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
    return this.#exclusive(() => applyMigrations(this.#conn, MIGRATIONS))
  }

  schemaVersion(): Promise<number> {
    return this.#exclusive(() => readSchemaVersion(this.#conn))
  }

  ping(): Promise<void> {
    return this.#exclusive(() => {
      this.#conn.get('SELECT 1 AS ok')
    })
  }

  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const conn = this.#conn
      conn.exec('BEGIN IMMEDIATE')
      const state: TxState = { active: true }
      try {
        const result = await this.#insideTx.run(state, () => fn(txRepos(conn, state)))
        if (state.failure !== undefined) throw txAborted(state.failure.error)
        conn.exec('COMMIT')
        return result
      } catch (err) {
        rollbackQuietly(conn)
        throw err
      } finally {
        state.active = false
      }
    })
  }

  async close(): Promise<void> {
    this.#guardReentry('close')
    this.#closing ??= this.#mutex.run(() => {
      this.#closed = true
      this.#conn.close()
    })
    return this.#closing
  }

  /** Runs `work` alone on the connection, after every call queued before it. */
  async #exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    this.#guardReentry('use')
    return this.#mutex.run(() => {
      if (this.#closed) throw closed(this.#conn.where)
      return work()
    })
  }

  /** Inside this handle's own open transaction, waiting on the mutex would wait forever. */
  #guardReentry(what: string): void {
    if (this.#insideTx.getStore()?.active) {
      throw txMisuse(
        `cannot ${what} the store inside its own transaction(fn): the call would wait for itself`,
      )
    }
  }
}

/** Repos bound to one open transaction: admitted while it is active and has not failed. */
function txRepos(conn: SqliteConnection, state: TxState): Repos {
  const run: Run = async (work) => {
    if (!state.active) throw txMisuse('a transaction tx was used after its transaction(fn) had settled')
    if (state.failure !== undefined) throw txAborted(state.failure.error)
    try {
      return work(conn)
    } catch (err) {
      state.failure = { error: err }
      throw err
    }
  }
  return bindRepos(run)
}

/** Every repo, each reaching the connection through `run`. */
function bindRepos(run: Run): Repos {
  return {
    tokens: sqliteTokens(run),
    cursors: sqliteCursors(run),
    dedupe: sqliteDedupe(run),
    links: sqliteLinks(run),
    messages: sqliteMessages(run),
    deliveries: sqliteDeliveries(run),
    traces: sqliteTraces(run),
    leases: sqliteLeases(run),
    processes: sqliteProcesses(run),
    held: sqliteHeld(run),
    groups: sqliteGroups(run),
    identities: sqliteIdentities(run),
    natives: sqliteNatives(run),
    blobs: sqliteBlobs(run),
  }
}

/** Rolls back if a transaction is still open; a failure here must not hide the error that caused it. */
function rollbackQuietly(conn: SqliteConnection): void {
  try {
    if (conn.inTransaction) conn.exec('ROLLBACK')
  } catch {
    // The connection keeps its state; the next BEGIN reports it if it is still in a transaction.
  }
}
