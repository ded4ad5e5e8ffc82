import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { openConnection } from '../../../../src/store/sqlite/connection.ts'
import { applyMigrations, readSchemaVersion } from '../../../../src/store/sqlite/migrate.ts'
import { LATEST_VERSION, MIGRATIONS, type Migration } from '../../../../src/store/sqlite/migrations.ts'
import { rejectsWith } from '../conformance/support.ts'

describe('sqlite migrations', () => {
  test('are numbered 1..n without gaps, with unique snake_case names', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
    expect(LATEST_VERSION).toBe(MIGRATIONS.length)
    for (const m of MIGRATIONS) expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/)
    expect(new Set(MIGRATIONS.map((m) => m.name)).size).toBe(MIGRATIONS.length)
  })

  test('a failing migration is rolled back whole, the earlier ones stay, and the error names it', async () => {
    const conn = openConnection(':memory:')
    const list: Migration[] = [
      { version: 1, name: 'first', sql: 'CREATE TABLE one (a INTEGER) STRICT' },
      {
        version: 2,
        name: 'broken',
        sql: 'CREATE TABLE two (a INTEGER) STRICT; INSERT INTO nowhere VALUES (1)',
      },
    ]
    const err = await rejectsWith(
      Promise.resolve().then(() => applyMigrations(conn, list)),
      'STORE_MIGRATION_FAILED',
    )
    expect(err.shortMessage).toBe('store migration 2 (broken) failed')
    expect(readSchemaVersion(conn)).toBe(1)
    expect(conn.get("SELECT name FROM sqlite_master WHERE name = 'two'")).toBeUndefined()
    expect(conn.inTransaction).toBe(false)

    const fixed: Migration[] = [
      list[0]!,
      { version: 2, name: 'fixed', sql: 'CREATE TABLE two (a INTEGER) STRICT' },
    ]
    expect(applyMigrations(conn, fixed)).toEqual([2])
    expect(applyMigrations(conn, fixed)).toEqual([])
    conn.close()
  })

  test('a second connection finds the migrations already applied', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfb-migrate-'))
    const path = join(dir, 'bridge.db')
    const a = openConnection(path)
    const b = openConnection(path)
    try {
      expect(applyMigrations(a, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version))
      expect(applyMigrations(b, MIGRATIONS)).toEqual([])
      expect(readSchemaVersion(b)).toBe(LATEST_VERSION)
    } finally {
      a.close()
      b.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
