import { randomBytes } from 'node:crypto'
import { invalidArgument } from './errors.ts'
import { SCOPES, type Scope } from './port.ts'

/**
 * Checks on what callers hand to a store, shared by every driver so that each refuses the
 * same inputs with the same error. Pure; each throws STORE_INVALID_ARGUMENT (a BridgeError,
 * HTTP 400) and never echoes the offending value, which may be a secret's hash.
 */

/**
 * A string both SQLite and PostgreSQL store exactly: well-formed Unicode, no NUL.
 * @throws STORE_INVALID_ARGUMENT otherwise, or when empty unless `allowEmpty`.
 */
export function checkText(what: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== 'string') throw invalidArgument(what, `must be a string, got ${describeType(value)}`)
  if (!allowEmpty && value.length === 0) throw invalidArgument(what, 'must not be empty')
  const nul = value.indexOf('\0')
  if (nul !== -1) throw invalidArgument(what, `must not contain a NUL character (found at index ${nul})`)
  if (!value.isWellFormed())
    throw invalidArgument(what, 'must be well-formed Unicode (it has a lone surrogate)')
  return value
}

/**
 * A non-empty list of known scopes, duplicates dropped, first-seen order kept.
 * @throws STORE_INVALID_ARGUMENT on an empty list or an unknown scope.
 */
export function checkScopes(value: unknown): Scope[] {
  if (!Array.isArray(value)) throw invalidArgument('scopes', `must be an array, got ${describeType(value)}`)
  const scopes: Scope[] = []
  for (const item of value) {
    if (!isScope(item)) {
      const shown = typeof item === 'string' ? JSON.stringify(item.slice(0, 32)) : describeType(item)
      throw invalidArgument('scopes', `may only hold ${SCOPES.join(', ')}; got ${shown}`)
    }
    if (!scopes.includes(item)) scopes.push(item)
  }
  if (scopes.length === 0) throw invalidArgument('scopes', `must name at least one of ${SCOPES.join(', ')}`)
  return scopes
}

/** Whether a stored or given value is one of `SCOPES`. */
export function isScope(value: unknown): value is Scope {
  return (SCOPES as readonly unknown[]).includes(value)
}

/**
 * The expected version of a compare-and-set: undefined, or an integer >= 0.
 * @throws STORE_INVALID_ARGUMENT otherwise.
 */
export function checkExpectedVersion(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(
      'expectedVersion',
      `must be undefined or an integer >= 0, got ${describeNumber(value)}`,
    )
  }
  return value
}

/**
 * The expiry instant for a mark recorded at `now` with `ttlMs`: null without a ttl, else
 * `now + ceil(ttlMs)` as an integer.
 * @throws STORE_INVALID_ARGUMENT when ttlMs is not a positive finite number or overflows.
 */
export function expiryFor(now: number, ttlMs: unknown): number | null {
  if (ttlMs === undefined) return null
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw invalidArgument(
      'ttlMs',
      `must be undefined or a positive number of milliseconds, got ${describeNumber(ttlMs)}`,
    )
  }
  const expiresAt = now + Math.ceil(ttlMs)
  if (!Number.isSafeInteger(expiresAt)) throw invalidArgument('ttlMs', 'is too large')
  return expiresAt
}

/**
 * An instant in epoch milliseconds (default: now), floored to an integer.
 * @throws STORE_INVALID_ARGUMENT when not a finite number.
 */
export function checkInstant(what: string, value: unknown): number {
  if (value === undefined) return Date.now()
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(what, `must be epoch milliseconds, got ${describeNumber(value)}`)
  }
  return Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER)
}

/** A fresh random token id: 16 bytes, base64url (22 characters). */
export function newTokenId(): string {
  return randomBytes(16).toString('base64url')
}

/** How errors name a value's type without echoing it: 'null', 'an array', or its typeof. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** A number as shown in errors (numbers carry no secret), else its type. */
export function describeNumber(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value)
}
