import type { PoolClient } from 'pg'
import { migrationFailed, schemaTooNew } from '../errors.ts'
import { isConnectionError } from './errors.ts'
import type { Migration } from './migrations.ts'
import type { PgPool } from './pool.ts'
import { int } from './rows.ts'
import { LOCK_CLASS } from './tx.ts'

const LOCK = `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, 0)`
const CREATE_TRACKING_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
  )`
const TRACKING_EXISTS = "SELECT to_regclass('schema_migrations') IS NOT NULL AS found"
const APPLIED = 'SELECT version FROM schema_migrations ORDER BY version'
const RECORD = 'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)'

/** The migrations recorded in `schema_migrations` (none when the table is missing). */
async function appliedVersions(pool: PgPool, client: PoolClient): Promise<number[]> {
  const table = await pool.query(client, TRACKING_EXISTS)
  if (table.rows[0]?.found !== true) return []
  return (await pool.query(client, APPLIED)).rows.map((row) => int(row, 'version'))
}

/** The highest migration applied, 0 for an empty database. @throws a store BridgeError. */
export async function readSchemaVersion(pool: PgPool): Promise<number> {
  return withClient(pool, async (client) => Math.max(0, ...(await appliedVersions(pool, client))))
}

/**
 * Refuses a database migrated past what `migrations` knows.
 * @throws STORE_SCHEMA_TOO_NEW naming the database and both versions; STORE_UNAVAILABLE.
 */
export async function assertKnownSchema(pool: PgPool, migrations: readonly Migration[]): Promise<void> {
  const known = migrations.at(-1)?.version ?? 0
  const found = await readSchemaVersion(pool)
  if (found > known) throw schemaTooNew(pool.where, found, known)
}

/**
 * Applies the migrations not yet recorded, in order, each in its own transaction that holds
 * the database's migration lock (`pg_advisory_xact_lock`) and re-checks the record first, so
 * processes migrating at once apply each migration once. Returns the versions this call applied.
 * @throws STORE_SCHEMA_TOO_NEW; STORE_MIGRATION_FAILED naming the failed migration, which is
 *   rolled back (the ones before it stay applied); STORE_UNAVAILABLE.
 */
export async function applyMigrations(pool: PgPool, migrations: readonly Migration[]): Promise<number[]> {
  const known = migrations.at(-1)?.version ?? 0
  return withClient(pool, async (client) => {
    const before = await appliedVersions(pool, client)
    const found = Math.max(0, ...before)
    if (found > known) throw schemaTooNew(pool.where, found, known)
    if (migrations.every((m) => before.includes(m.version))) return []
    const applied: number[] = []
    for (const migration of migrations) {
      if (before.includes(migration.version)) continue
      if (await applyOne(pool, client, migration, known)) applied.push(migration.version)
    }
    return applied
  })
}

/** One migration in its own locked transaction; false when another process applied it first. */
async function applyOne(
  pool: PgPool,
  client: PoolClient,
  migration: Migration,
  known: number,
): Promise<boolean> {
  await pool.query(client, 'BEGIN')
  try {
    await pool.query(client, LOCK)
    await pool.query(client, CREATE_TRACKING_TABLE)
    const now = await appliedVersions(pool, client)
    const found = Math.max(0, ...now)
    if (found > known) throw schemaTooNew(pool.where, found, known)
    if (now.includes(migration.version)) {
      await pool.query(client, 'ROLLBACK')
      return false
    }
    try {
      await pool.query(client, migration.sql)
      await pool.query(client, RECORD, [migration.version, migration.name, Date.now()])
    } catch (err) {
      throw migrationFailed(migration.version, migration.name, err)
    }
    await pool.query(client, 'COMMIT')
    return true
  } catch (err) {
    if (!isConnectionError(err)) await pool.query(client, 'ROLLBACK').catch(() => undefined)
    throw err
  }
}

async function withClient<T>(pool: PgPool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.acquire()
  let destroy = false
  try {
    return await work(client)
  } catch (err) {
    destroy = isConnectionError(err) || isConnectionError((err as { cause?: unknown }).cause)
    throw err
  } finally {
    pool.release(client, destroy)
  }
}
