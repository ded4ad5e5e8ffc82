import type { BridgeError } from '../../core/errors.ts'
import { conflict } from '../errors.ts'

/**
 * Serialization failures: STORE_CONFLICT errors after which the transaction runner (`tx.ts`)
 * runs the transaction again. A failure may name advisory lock keys (the delivery pairs it
 * found taken): the next attempt takes them before its snapshot, and so waits its turn on
 * those pairs instead of stopping every other transaction.
 */
const failures = new WeakMap<BridgeError, readonly string[]>()

/** A STORE_CONFLICT (retryable) that runs the transaction again; `lockKeys` as above. */
export function serializationConflict(shortMessage: string, lockKeys: readonly string[] = []): BridgeError {
  const error = conflict(shortMessage)
  failures.set(error, lockKeys)
  return error
}

/**
 * Whether `err` is a conflict between concurrent transactions (serialization failure,
 * deadlock, a seq or a lock taken by a concurrent writer): the transaction that saw it is
 * rolled back, and running it again from the start may succeed.
 */
export function isSerializationFailure(err: unknown): err is BridgeError {
  return failures.has(err as BridgeError)
}

/** Adds lock keys to a serialization failure (no-op on any other error); returns it. */
export function withRetryLocks(err: unknown, lockKeys: readonly string[]): unknown {
  const keys = failures.get(err as BridgeError)
  if (keys !== undefined) failures.set(err as BridgeError, [...keys, ...lockKeys])
  return err
}

/** The lock keys a serialization failure names (none for any other error). */
export function retryLocks(err: unknown): readonly string[] {
  return failures.get(err as BridgeError) ?? []
}
