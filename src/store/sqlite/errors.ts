import { BridgeError } from '../../core/errors.ts'
import { busy, duplicate, queryFailed } from '../errors.ts'

// Primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte.
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_IOERR = 10
const SQLITE_FULL = 13
const SQLITE_CONSTRAINT = 19
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555
const SQLITE_CONSTRAINT_UNIQUE = 2067

/** The SQLite result code carried by a node:sqlite error, if any. */
export function sqliteErrcode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('errcode' in err)) return undefined
  return typeof err.errcode === 'number' ? err.errcode : undefined
}

/**
 * A node:sqlite error as a store BridgeError: BUSY/LOCKED → STORE_BUSY (retryable), a unique
 * key taken → STORE_DUPLICATE, disk trouble → STORE_QUERY_FAILED (retryable), anything else →
 * STORE_QUERY_FAILED. BridgeErrors pass through unchanged.
 */
export function mapSqliteError(err: unknown, where: string): BridgeError {
  if (err instanceof BridgeError) return err
  const code = sqliteErrcode(err)
  if (code === undefined) return queryFailed(where, err, false)
  const primary = code & 0xff
  if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) return busy(where, err)
  if (code === SQLITE_CONSTRAINT_UNIQUE || code === SQLITE_CONSTRAINT_PRIMARYKEY) {
    return duplicate(`a row with the same key already exists (${constraintName(err)})`, err)
  }
  if (primary === SQLITE_CONSTRAINT) return queryFailed(where, err, false)
  if (primary === SQLITE_IOERR || primary === SQLITE_FULL) {
    return queryFailed(where, err, true, 'check the disk holding data_dir: it may be full or failing')
  }
  const message = err instanceof Error ? err.message : ''
  if (/no such table/i.test(message)) {
    return queryFailed(
      where,
      err,
      false,
      'the schema is missing: call store.migrate() after opening the store',
    )
  }
  return queryFailed(where, err, false)
}

function constraintName(err: unknown): string {
  const message = err instanceof Error ? err.message : ''
  const match = /constraint failed: ([\w., ]+)/i.exec(message)
  return match?.[1] ?? 'unique constraint'
}
