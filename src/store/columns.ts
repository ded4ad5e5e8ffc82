import { queryFailed } from './errors.ts'

/** A result row as both drivers return it: column name → value. */
export type ResultRow = Record<string, unknown>

/** Typed column reads for one driver; the schema makes the types certain. */
export interface ColumnReaders {
  /** A text column. */
  text(row: ResultRow, column: string): string
  /** A nullable text column. */
  textOrNull(row: ResultRow, column: string): string | null
  /** An integer column (INTEGER, BIGINT), as a safe integer. */
  int(row: ResultRow, column: string): number
  /** A nullable integer column. */
  intOrNull(row: ResultRow, column: string): number | null
  /** A floating-point column (REAL, DOUBLE PRECISION), as a finite number. */
  real(row: ResultRow, column: string): number
}

/**
 * The column readers of a driver. A type mismatch means a damaged database or a bug: it throws
 * STORE_QUERY_FAILED naming the driver and the column.
 */
export function columnReaders(driver: 'sqlite' | 'postgres'): ColumnReaders {
  const unexpected = (column: string, expected: string, value: unknown): Error => {
    const got = value === null ? 'null' : typeof value
    return queryFailed(driver, new TypeError(`column ${column}: expected ${expected}, got ${got}`), false)
  }
  const text = (row: ResultRow, column: string): string => {
    const value = row[column]
    if (typeof value !== 'string') throw unexpected(column, 'text', value)
    return value
  }
  const int = (row: ResultRow, column: string): number => {
    const value = row[column]
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw unexpected(column, 'an integer', value)
    return value
  }
  return {
    text,
    int,
    textOrNull: (row, column) => (row[column] === null ? null : text(row, column)),
    intOrNull: (row, column) => (row[column] === null ? null : int(row, column)),
    real: (row, column) => {
      const value = row[column]
      if (typeof value !== 'number' || !Number.isFinite(value)) throw unexpected(column, 'a number', value)
      return value
    },
  }
}
