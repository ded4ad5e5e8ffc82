import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { type Checkpointer, useWal } from '../../sqlite/wal.ts'
import { invalidArgument, openFailed } from '../errors.ts'
import { mapSqliteError, sqliteErrcode } from './errors.ts'

/** A value bound to a statement parameter. */
export type Param = string | number | null

/** A result row: column name → value, as node:sqlite returns it. */
export type Row = Record<string, unknown>

const SQLITE_NOTADB = 26
const DEFAULT_BUSY_TIMEOUT_MS = 5000

/**
 * One node:sqlite connection with its prepared statements cached by SQL text. Every method is
 * synchronous and blocks the event loop: on disk I/O, and on another process's write lock up to
 * the busy timeout. Errors come out as store BridgeErrors (see `mapSqliteError`).
 */
export class SqliteConnection {
  /** Where the database is, as shown in errors: an absolute path, or ':memory:'. */
  readonly where: string
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()
  readonly #checkpointer: Checkpointer

  constructor(db: DatabaseSync, where: string, checkpointer: Checkpointer) {
    this.#db = db
    this.where = where
    this.#checkpointer = checkpointer
  }

  /** The first row of a query, or undefined. */
  get(sql: string, ...params: Param[]): Row | undefined {
    return this.#guard(() => this.#prepare(sql).get(...params))
  }

  /** All rows of a query (use it for `RETURNING`, which must run to completion). */
  all(sql: string, ...params: Param[]): Row[] {
    return this.#guard(() => this.#prepare(sql).all(...params))
  }

  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, ...params: Param[]): number {
    return this.#guard(() => Number(this.#prepare(sql).run(...params).changes))
  }

  /** Runs SQL text that may hold several statements, without caching it. */
  exec(sql: string): void {
    this.#guard(() => this.#db.exec(sql))
  }

  /**
   * Runs `work` (several statements) atomically: inside the transaction already open on this
   * connection (whose owner rolls back on error), else in its own BEGIN IMMEDIATE … COMMIT,
   * rolled back if `work` throws.
   */
  atomic<T>(work: () => T): T {
    if (this.inTransaction) return work()
    this.exec('BEGIN IMMEDIATE')
    try {
      const result = work()
      this.exec('COMMIT')
      return result
    } catch (err) {
      try {
        if (this.inTransaction) this.exec('ROLLBACK')
      } catch {
        // Keep the error that caused the rollback; the next BEGIN reports a stuck transaction.
      }
      throw err
    }
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#db.isOpen && this.#db.isTransaction
  }

  /** Releases the statements and the database. Idempotent. */
  close(): void {
    this.#checkpointer.stop()
    this.#statements.clear()
    if (this.#db.isOpen) this.#db.close()
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  #guard<T>(work: () => T): T {
    try {
      return work()
    } catch (err) {
      throw mapSqliteError(err, this.where)
    }
  }
}

/**
 * Opens (creating it and its parent directory if needed) the SQLite database at `path`, in WAL
 * mode with `synchronous=NORMAL` and checkpoints off the event loop (src/sqlite/wal.ts),
 * foreign keys on and the given busy timeout (default 5 s).
 * Blocks on the file system.
 * @throws STORE_INVALID_ARGUMENT on an empty path or a bad timeout; STORE_OPEN_FAILED naming the
 *   path when the directory or the file cannot be created or the file is not a SQLite database.
 */
export function openConnection(path: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): SqliteConnection {
  if (typeof path !== 'string' || path.length === 0)
    throw invalidArgument('store path', 'must be a non-empty string')
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw invalidArgument('busyTimeoutMs', `must be an integer >= 0, got ${String(busyTimeoutMs)}`)
  }
  const memory = path === ':memory:'
  const where = memory ? path : resolve(path)
  let db: DatabaseSync | undefined
  let checkpointer: Checkpointer
  try {
    if (!memory) mkdirSync(dirname(where), { recursive: true })
    db = new DatabaseSync(where, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true })
    db.exec('PRAGMA foreign_keys = ON')
    checkpointer = useWal(db, where)
  } catch (err) {
    if (db?.isOpen) db.close()
    throw openFailed(where, err, openHint(err))
  }
  return new SqliteConnection(db, where, checkpointer)
}

function openHint(err: unknown): string[] {
  if (sqliteErrcode(err) === SQLITE_NOTADB) {
    return ['the file is not a SQLite database: point store.sqlite.path at a new file or a bridge database']
  }
  return ['check that data_dir exists and is writable by the bridge', 'store.sqlite.path must name a file']
}
