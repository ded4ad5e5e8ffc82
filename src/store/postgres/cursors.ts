import { conflict } from '../errors.ts'
import { checkExpectedVersion, checkText } from '../input.ts'
import type { CursorRepo } from '../port.ts'
import type { Db, Row, Run } from './db.ts'
import { int, text } from './rows.ts'

const UPSERT = `INSERT INTO cursors (key, value, version, updated_at) VALUES ($1, $2, 1, $3)
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = cursors.version + 1,
    updated_at = EXCLUDED.updated_at
  RETURNING version`
const CREATE_ONLY = `INSERT INTO cursors (key, value, version, updated_at) VALUES ($1, $2, 1, $3)
  ON CONFLICT (key) DO NOTHING
  RETURNING version`
const UPDATE_IF_VERSION = `UPDATE cursors SET value = $1, version = version + 1, updated_at = $2
  WHERE key = $3 AND version = $4
  RETURNING version`
const SELECT = 'SELECT value, version, updated_at FROM cursors WHERE key = $1'

/**
 * The cursor repo on the `cursors` table; every write is one statement, atomic by itself (a
 * concurrent writer's row is locked and re-checked), so the compare-and-set holds across
 * processes. Each method runs through `run`.
 * @throws STORE_CONFLICT (retryable) on a version mismatch; STORE_INVALID_ARGUMENT.
 */
export function pgCursors(run: Run): CursorRepo {
  return {
    get: (key) =>
      run(async (db) => {
        const [row] = await db.rows(SELECT, [checkText('cursor key', key)])
        if (row === undefined) return undefined
        return { value: text(row, 'value'), version: int(row, 'version'), updatedAt: int(row, 'updated_at') }
      }),

    put: (key, value, expectedVersion) =>
      run(async (db) => {
        checkText('cursor key', key)
        checkText('cursor value', value, true)
        const expected = checkExpectedVersion(expectedVersion)
        const now = Date.now()
        let rows: Row[]
        if (expected === undefined) rows = await db.rows(UPSERT, [key, value, now])
        else if (expected === 0) rows = await db.rows(CREATE_ONLY, [key, value, now])
        else rows = await db.rows(UPDATE_IF_VERSION, [value, now, key, expected])
        const [row] = rows
        if (row === undefined) throw await versionConflict(db, key, expected ?? 0)
        return int(row, 'version')
      }),
  }
}

async function versionConflict(db: Db, key: string, expected: number): Promise<Error> {
  const [current] = await db.rows('SELECT version FROM cursors WHERE key = $1', [key])
  const found = current === undefined ? 'does not exist' : `is at version ${int(current, 'version')}`
  return conflict(`cursor ${JSON.stringify(key.slice(0, 80))} ${found}, expected version ${expected}`)
}
