/**
 * What the postgres repos see of the database: one statement at a time, and `atomic` for a
 * group of statements. The store's `Db` autocommits each statement on a pooled connection and
 * runs `atomic` in a transaction of its own; a transaction's `Db` runs everything on its
 * connection, inside it.
 */

/** A result row: column name → value, as node-postgres parses it (BIGINT as number). */
export type Row = Record<string, unknown>

/** The isolation of a transaction `atomic` opens. */
export type Isolation = 'serializable' | 'read committed'

export interface Db {
  /** The rows of one statement ($1, $2… placeholders). */
  rows(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /** How many rows one statement changed. */
  count(sql: string, params?: readonly unknown[]): Promise<number>
  /**
   * Runs `work` atomically: inside the transaction in progress (`own` false), else in a
   * transaction of its own at `isolation` (default serializable), run again on a
   * serialization failure (`own` true), that first waits for the advisory locks `lockKeys`
   * (held until it ends).
   */
  atomic<T>(
    work: (db: Db, own: boolean) => Promise<T>,
    isolation?: Isolation,
    lockKeys?: readonly string[],
  ): Promise<T>
  /**
   * True inside a transaction that runs alone among the gated ones of every process (a retry
   * holding the gate exclusively, see `tx.ts`): hot-spot locks are not needed there.
   */
  readonly alone: boolean
  /**
   * Whether the transaction holds the advisory locks `keys` since before its snapshot (held
   * until it ends): already (a retry that waited for them), or now, when it has sent no
   * statement yet, by waiting for them and restarting it. False when a statement already ran
   * without them, or outside a transaction.
   */
  lockFirst(keys: readonly string[]): Promise<boolean>
}

/**
 * How a repo reaches the database: the store's `Run` checks the handle is open and tracks the
 * call for `close`; a transaction's `Run` checks the transaction is still usable.
 */
export type Run = <T>(work: (db: Db) => Promise<T>) => Promise<T>
