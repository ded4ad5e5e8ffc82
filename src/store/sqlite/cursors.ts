import { conflict } from '../errors.ts'
import { checkExpectedVersion, checkText } from '../input.ts'
import type { CursorRepo } from '../port.ts'
import type { SqliteConnection } from './connection.ts'
import { int, text } from './rows.ts'
import type { Run } from './run.ts'

const UPSERT = `INSERT INTO cursors (key, value, version, updated_at) VALUES (?, ?, 1, ?)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = cursors.version + 1,
    updated_at = excluded.updated_at
  RETURNING version`
const CREATE_ONLY = `INSERT INTO cursors (key, value, version, updated_at) VALUES (?, ?, 1, ?)
  ON CONFLICT (key) DO NOTHING
  RETURNING version`
const UPDATE_IF_VERSION = `UPDATE cursors SET value = ?, version = version + 1, updated_at = ?
  WHERE key = ? AND version = ?
  RETURNING version`

/**
 * The cursor repo on the `cursors` table; every write is one statement, atomic by itself, so the
 * compare-and-set holds across processes too. Each method runs through `run`.
 * @throws STORE_CONFLICT (retryable) on a version mismatch; STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteCursors(run: Run): CursorRepo {
  return {
    get: (key) =>
      run((conn) => {
        const row = conn.get(
          'SELECT value, version, updated_at FROM cursors WHERE key = ?',
          checkText('cursor key', key),
        )
        if (row === undefined) return undefined
        return { value: text(row, 'value'), version: int(row, 'version'), updatedAt: int(row, 'updated_at') }
      }),

    put: (key, value, expectedVersion) =>
      run((conn) => {
        checkText('cursor key', key)
        checkText('cursor value', value, true)
        const expected = checkExpectedVersion(expectedVersion)
        const now = Date.now()
        let rows: ReturnType<SqliteConnection['all']>
        if (expected === undefined) rows = conn.all(UPSERT, key, value, now)
        else if (expected === 0) rows = conn.all(CREATE_ONLY, key, value, now)
        else rows = conn.all(UPDATE_IF_VERSION, value, now, key, expected)
        const row = rows[0]
        if (row === undefined) throw versionConflict(conn, key, expected ?? 0)
        return int(row, 'version')
      }),
  }
}

function versionConflict(conn: SqliteConnection, key: string, expected: number): Error {
  const current = conn.get('SELECT version FROM cursors WHERE key = ?', key)
  const found = current === undefined ? 'does not exist' : `is at version ${int(current, 'version')}`
  return conflict(`cursor ${JSON.stringify(key.slice(0, 80))} ${found}, expected version ${expected}`)
}
