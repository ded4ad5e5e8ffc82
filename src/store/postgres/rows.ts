import { queryFailed } from '../errors.ts'
import type { Row } from './db.ts'

/**
 * Typed reads of result columns. The schema makes the types certain, so a mismatch means a
 * damaged database or a bug: it throws STORE_QUERY_FAILED naming the column.
 */

/** A TEXT column. */
export function text(row: Row, column: string): string {
  const value = row[column]
  if (typeof value !== 'string') throw unexpected(column, 'text', value)
  return value
}

/** An INTEGER or BIGINT column, as a safe integer. */
export function int(row: Row, column: string): number {
  const value = row[column]
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw unexpected(column, 'an integer', value)
  return value
}

/** A nullable INTEGER or BIGINT column. */
export function intOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : int(row, column)
}

/** A nullable TEXT column. */
export function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column)
}

/** A DOUBLE PRECISION column, as a finite number. */
export function real(row: Row, column: string): number {
  const value = row[column]
  if (typeof value !== 'number' || !Number.isFinite(value)) throw unexpected(column, 'a number', value)
  return value
}

function unexpected(column: string, expected: string, value: unknown): Error {
  const got = value === null ? 'null' : typeof value
  return queryFailed('postgres', new TypeError(`column ${column}: expected ${expected}, got ${got}`), false)
}
