import { migrationFailed, schemaTooNew } from '../errors.ts'
import type { SqliteConnection } from './connection.ts'
import type { Migration } from './migrations.ts'
import { int } from './rows.ts'

const CREATE_TRACKING_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`

/**
 * The highest migration recorded in `schema_migrations`, 0 when there is none (or no table).
 * Synchronous; blocks on the database.
 */
export function readSchemaVersion(conn: SqliteConnection): number {
  const table = conn.get(
    "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
  )
  if (table === undefined) return 0
  const row = conn.get('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations')
  return row === undefined ? 0 : int(row, 'version')
}

/**
 * Refuses a database migrated past what `migrations` knows.
 * @throws STORE_SCHEMA_TOO_NEW naming the database and both versions.
 */
export function assertKnownSchema(conn: SqliteConnection, migrations: readonly Migration[]): void {
  const known = migrations.at(-1)?.version ?? 0
  const found = readSchemaVersion(conn)
  if (found > known) throw schemaTooNew(conn.where, found, known)
}

/**
 * Applies the migrations not yet recorded, in order, each in its own BEGIN IMMEDIATE
 * transaction that re-checks the record first, so processes migrating the same file at once
 * apply each migration once. Returns the versions this call applied. Synchronous; blocks on
 * the database and on another process's write lock (busy timeout).
 * @throws STORE_SCHEMA_TOO_NEW; STORE_MIGRATION_FAILED naming the failed migration, which is
 *   rolled back (the ones before it stay applied); STORE_BUSY.
 */
export function applyMigrations(conn: SqliteConnection, migrations: readonly Migration[]): number[] {
  conn.exec(CREATE_TRACKING_TABLE)
  assertKnownSchema(conn, migrations)
  const applied: number[] = []
  for (const migration of migrations) {
    if (isApplied(conn, migration.version)) continue
    conn.exec('BEGIN IMMEDIATE')
    try {
      if (isApplied(conn, migration.version)) {
        conn.exec('ROLLBACK')
        continue
      }
      conn.exec(migration.sql)
      conn.run(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        migration.version,
        migration.name,
        Date.now(),
      )
      conn.exec('COMMIT')
    } catch (err) {
      if (conn.inTransaction) conn.exec('ROLLBACK')
      throw migrationFailed(migration.version, migration.name, err)
    }
    applied.push(migration.version)
  }
  return applied
}

function isApplied(conn: SqliteConnection, version: number): boolean {
  return conn.get('SELECT 1 AS found FROM schema_migrations WHERE version = ?', version) !== undefined
}
