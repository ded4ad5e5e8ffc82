import { BridgeError } from '../../core/errors.ts'
import { busy, duplicate, openFailed, queryFailed, unavailable } from '../errors.ts'
import { serializationConflict } from './conflicts.ts'

/**
 * How node-postgres errors become store BridgeErrors. Server errors carry a SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html); socket and pool errors
 * carry a Node error code or none. The raw error is never kept as the cause: its `detail`
 * may quote row values (a token hash, a message). The cause is a copy with the message, the
 * SQLSTATE and the constraint name only.
 */

/** pg-pool's error when no connection of the pool became free in time. */
const POOL_TIMEOUT = 'timeout exceeded when trying to connect'

/** The SQLSTATE of a server error, or undefined for socket, pool and other errors. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err) || typeof err.code !== 'string')
    return undefined
  return /^[0-9A-Z]{5}$/.test(err.code) && !err.code.startsWith('E') ? err.code : undefined
}

/** Whether the error means the connection is gone (the client must not be reused). */
export function isConnectionError(err: unknown): boolean {
  return err instanceof BridgeError && err.code === 'STORE_UNAVAILABLE'
}

/**
 * A node-postgres error as a store BridgeError; BridgeErrors pass through unchanged.
 * - 40001/40P01, and a unique violation of the delivery order → STORE_CONFLICT (retryable,
 *   marked as a serialization failure);
 * - 23505 → STORE_DUPLICATE; 57014/55P03 (statement or lock timeout), and no free pooled
 *   connection in time → STORE_BUSY;
 * - connection trouble (no SQLSTATE, class 08, 57P01–57P03, 53300) → STORE_UNAVAILABLE;
 * - 28xxx/3D000 (credentials, missing database) → STORE_OPEN_FAILED;
 * - 42P01 (no such table) → STORE_QUERY_FAILED telling to migrate; others STORE_QUERY_FAILED.
 */
export function mapPgError(err: unknown, where: string): BridgeError {
  if (err instanceof BridgeError) return err
  const state = sqlState(err)
  if (state === undefined) {
    if (err instanceof TypeError || err instanceof RangeError)
      return queryFailed(where, safeCause(err), false)
    if (err instanceof Error && err.message === POOL_TIMEOUT) return poolBusy(where, safeCause(err))
    return unavailable(where, safeCause(err))
  }
  const cause = safeCause(err)
  if (
    state === '40001' ||
    state === '40P01' ||
    (state === '23505' && constraintOf(err) === 'deliveries_order')
  ) {
    return serializationConflict(
      'a concurrent transaction changed the same data; the transaction was rolled back',
    )
  }
  if (state === '23505')
    return duplicate(`a row with the same key already exists (${constraintOf(err)})`, cause)
  if (state === '57014' || state === '55P03') return busy(where, cause)
  if (state.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(state))
    return unavailable(where, cause)
  if (state.startsWith('28'))
    return openFailed(where, cause, 'check the user name and password in store.postgres.url')
  if (state === '3D000')
    return openFailed(where, cause, 'create the database named in store.postgres.url, or fix its name')
  if (state === '42P01')
    return queryFailed(
      where,
      cause,
      false,
      'the schema is missing: call store.migrate() after opening the store',
    )
  if (state === '53100' || state === '53200')
    return queryFailed(where, cause, true, 'the database server is out of disk or memory')
  return queryFailed(where, cause, false)
}

/** Every connection of the pool stayed in use past the acquire timeout. */
function poolBusy(where: string, cause: Error): BridgeError {
  return new BridgeError('STORE_BUSY', `every connection to the store at ${where} stayed busy`, {
    cause,
    hint: 'retry later; if it lasts, raise store.postgres.poolSize or lower the concurrency of the work',
    retryable: true,
    status: 503,
  })
}

function constraintOf(err: unknown): string {
  return rawConstraint(err) ?? 'unique constraint'
}

function rawConstraint(err: unknown): string | undefined {
  const value = typeof err === 'object' && err !== null && 'constraint' in err ? err.constraint : undefined
  return typeof value === 'string' ? value : undefined
}

/** A copy of the error without the fields that may quote data (`detail`, `where`, …). */
function safeCause(err: unknown): Error {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined
  const text = err instanceof Error ? err.message : String(err)
  // Node's AggregateError (every address of a host refused) has an empty message: show the code.
  const message = text === '' && typeof code === 'string' ? code : text
  const copy = new Error(message)
  copy.name = err instanceof Error ? err.name : 'Error'
  return Object.assign(copy, {
    code: typeof code === 'string' ? code : undefined,
    constraint: rawConstraint(err),
  })
}
