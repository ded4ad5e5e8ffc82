import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { BridgeError } from '../../core/errors.ts'
import { type Checkpointer, useWal } from '../../sqlite/wal.ts'
import { openFailed } from '../errors.ts'

/** A result row as node:sqlite returns it. */
export type Row = Record<string, unknown>

/** The schema this build writes; a database marked newer is refused. */
const SCHEMA_VERSION = 1

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS queue_jobs (
  queue         TEXT    NOT NULL,
  id            TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('pending', 'active', 'completed', 'dead')),
  data          TEXT,
  attempts_made INTEGER NOT NULL DEFAULT 0,
  stalls        INTEGER NOT NULL DEFAULT 0,
  run_at        INTEGER NOT NULL,
  enqueued_at   INTEGER NOT NULL,
  locked_by     TEXT,
  locked_until  INTEGER,
  error_code    TEXT,
  error_message TEXT,
  UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS queue_jobs_by_state ON queue_jobs (queue, state, run_at);
`

/**
 * One node:sqlite connection to the queue database, its statements cached by SQL text.
 * Every method is synchronous and blocks the event loop: on disk I/O, and on another
 * process's write lock up to the busy timeout. SQLite errors are thrown as they come; the
 * driver maps them.
 */
export class QueueDatabase {
  readonly where: string
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()
  readonly #checkpointer: Checkpointer

  constructor(db: DatabaseSync, where: string, checkpointer: Checkpointer) {
    this.#db = db
    this.where = where
    this.#checkpointer = checkpointer
  }

  get isOpen(): boolean {
    return this.#db.isOpen
  }

  /** All rows of a query (also for `RETURNING`). */
  all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#prepare(sql).all(...params)
  }

  /** The first row of a query, or undefined. */
  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#prepare(sql).get(...params)
  }

  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#prepare(sql).run(...params).changes)
  }

  /**
   * Runs `work` inside BEGIN IMMEDIATE … COMMIT (the write lock taken up front, so no
   * deadlock between readers that upgrade), rolling back if it throws.
   */
  transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      const result = work()
      this.#db.exec('COMMIT')
      return result
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw err
    }
  }

  /** Releases the statements and the file. Idempotent. */
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
}

/**
 * Opens (creating it and its directory if needed) the queue database at `path` — WAL,
 * `synchronous=NORMAL`, checkpoints off the event loop (src/sqlite/wal.ts), the given busy timeout — and creates the queue tables. Several
 * processes may open the same file. Blocks on the file system.
 * @throws QUEUE_OPEN_FAILED naming the path (unwritable directory, not a database, a schema
 *   written by a newer bridge).
 */
export function openQueueDatabase(path: string, busyTimeoutMs: number): QueueDatabase {
  const where = path === ':memory:' ? path : resolve(path)
  let db: DatabaseSync | undefined
  let conn: QueueDatabase | undefined
  try {
    if (where !== ':memory:') mkdirSync(dirname(where), { recursive: true })
    db = new DatabaseSync(where, { timeout: busyTimeoutMs })
    const opened = new QueueDatabase(db, where, useWal(db, where))
    conn = opened
    opened.transaction(() => {
      db?.exec(SCHEMA)
      const row = opened.get('SELECT max(version) AS version FROM queue_schema')
      const found = typeof row?.version === 'number' ? row.version : 0
      if (found > SCHEMA_VERSION) {
        throw new BridgeError(
          'QUEUE_OPEN_FAILED',
          `the queue schema is version ${found}, this bridge knows ${SCHEMA_VERSION}`,
          {
            hint: 'upgrade the bridge to the version that last ran on this database',
          },
        )
      }
      if (found < SCHEMA_VERSION) opened.run('INSERT INTO queue_schema (version) VALUES (?)', SCHEMA_VERSION)
    })
    return opened
  } catch (err) {
    if (conn) conn.close()
    else if (db?.isOpen) db.close()
    throw openFailed(where, err)
  }
}
