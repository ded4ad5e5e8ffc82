import type { SqliteConnection } from './connection.ts'

/**
 * How a repo reaches the connection: the store's `Run` waits its turn on the store's mutex;
 * a transaction's `Run` checks that the transaction is still usable. Either way `work` runs
 * synchronously once admitted, and its errors become the returned promise's rejection.
 */
export type Run = <T>(work: (conn: SqliteConnection) => T) => Promise<T>
