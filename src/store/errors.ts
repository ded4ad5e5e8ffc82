import { BridgeError, InvalidInputError } from '../core/errors.ts'

/**
 * The errors every store driver raises, so that callers (and the conformance suite) see the
 * same codes whatever the database. Each function returns the error; the caller throws it.
 */
export type StoreErrorCode =
  | 'STORE_OPEN_FAILED'
  | 'STORE_SCHEMA_TOO_NEW'
  | 'STORE_MIGRATION_FAILED'
  | 'STORE_INVALID_ARGUMENT'
  | 'STORE_CONFLICT'
  | 'STORE_DUPLICATE'
  | 'STORE_BUSY'
  | 'STORE_CLOSED'
  | 'STORE_TX_MISUSE'
  | 'STORE_TX_ABORTED'
  | 'STORE_QUERY_FAILED'
  | 'STORE_UNKNOWN_DRIVER'
  | 'STORE_UNAVAILABLE'
  | 'STORE_FENCED'

/** The database at `where` could not be opened or prepared for use. */
export function openFailed(where: string, cause: unknown, hint: string | readonly string[]): BridgeError {
  return new BridgeError('STORE_OPEN_FAILED', `cannot open the store at ${where}`, {
    cause,
    hint,
    status: 503,
  })
}

/** The database was migrated by a newer bridge than this one. */
export function schemaTooNew(where: string, found: number, known: number): BridgeError {
  return new BridgeError(
    'STORE_SCHEMA_TOO_NEW',
    `the store at ${where} has schema version ${found}, this bridge knows up to ${known}`,
    { hint: 'upgrade the bridge to the version that last ran on this database', status: 503 },
  )
}

/** Migration `version` failed and was rolled back. */
export function migrationFailed(version: number, name: string, cause: unknown): BridgeError {
  return new BridgeError('STORE_MIGRATION_FAILED', `store migration ${version} (${name}) failed`, {
    cause,
    hint: 'the migration was rolled back; see the cause, fix the database, then start again',
    retryable: cause instanceof BridgeError && cause.retryable,
    status: 503,
  })
}

/** An argument the store cannot hold; `what` names it, the value itself is never echoed. */
export function invalidArgument(what: string, problem: string): BridgeError {
  return new InvalidInputError('STORE_INVALID_ARGUMENT', `${what} ${problem}`)
}

/** A compare-and-set found another version than expected. */
export function conflict(shortMessage: string): BridgeError {
  return new BridgeError('STORE_CONFLICT', shortMessage, {
    hint: 'someone else wrote it first: read it again and retry',
    retryable: true,
    status: 409,
  })
}

/** A unique key is already taken. */
export function duplicate(shortMessage: string, cause?: unknown): BridgeError {
  return new BridgeError('STORE_DUPLICATE', shortMessage, { cause, status: 409 })
}

/** Another process held the database lock past the busy timeout. */
export function busy(where: string, cause: unknown): BridgeError {
  return new BridgeError('STORE_BUSY', `the store at ${where} stayed locked by another writer`, {
    cause,
    hint: 'retry later; if it lasts, look for another bridge process using the same database',
    retryable: true,
    status: 503,
  })
}

/** The handle was closed. */
export function closed(where: string): BridgeError {
  return new BridgeError('STORE_CLOSED', `the store at ${where} is closed`, {
    hint: 'open a new store handle; close() was already called on this one',
    status: 503,
  })
}

/** The transaction rules of `Store.transaction` were broken. */
export function txMisuse(shortMessage: string): BridgeError {
  return new BridgeError('STORE_TX_MISUSE', shortMessage, {
    hint: 'inside transaction(fn), make every store call through the tx argument, and only until fn settles',
  })
}

/** A call inside the transaction failed, so the transaction can only roll back. */
export function txAborted(firstError: unknown): BridgeError {
  return new BridgeError('STORE_TX_ABORTED', 'the transaction was aborted by an earlier failed call', {
    cause: firstError,
    hint: 'let the first error propagate out of transaction(fn); the whole transaction is rolled back',
    retryable: firstError instanceof BridgeError && firstError.retryable,
    status: firstError instanceof BridgeError ? firstError.status : 500,
  })
}

/** Any other database failure. */
export function queryFailed(where: string, cause: unknown, retryable: boolean, hint?: string): BridgeError {
  return new BridgeError('STORE_QUERY_FAILED', `a query on the store at ${where} failed`, {
    cause,
    hint: hint ?? 'see the cause; this is likely a bug in the bridge or a damaged database',
    retryable,
    status: retryable ? 503 : 500,
  })
}

/** A write guarded by a lease came from a holder that no longer holds it. */
export function fenced(name: string, token: number): BridgeError {
  return new BridgeError('STORE_FENCED', `lease "${name}" is no longer held with token ${token}`, {
    hint: 'another process took the lease over (this one paused or lost the store); stop the guarded work',
    status: 409,
  })
}

/**
 * The database server could not be reached, or the connection to it broke during the call
 * (server down or restarting, network trouble). Retryable: the next call reconnects. A write
 * whose connection broke mid-call may or may not have been applied.
 */
export function unavailable(where: string, cause: unknown): BridgeError {
  return new BridgeError('STORE_UNAVAILABLE', `the store at ${where} is unreachable`, {
    cause,
    hint: [
      'retry later: the store reconnects on the next call',
      'if it lasts, check that the database server is running and reachable at the configured URL',
    ],
    retryable: true,
    status: 503,
  })
}
