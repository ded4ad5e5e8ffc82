import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openStore } from '../../../src/store/index.ts'
import type { Store } from '../../../src/store/port.ts'
import { openPostgresStore } from '../../../src/store/postgres/index.ts'
import { applyMigrations, readSchemaVersion } from '../../../src/store/postgres/migrate.ts'
import { LATEST_VERSION, MIGRATIONS, type Migration } from '../../../src/store/postgres/migrations.ts'
import { PgPool } from '../../../src/store/postgres/pool.ts'
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts'
import { rejectsWith, testMessage, unique } from './conformance/support.ts'
import { storeConformance } from './conformance.ts'

let server: TestPostgres
let suiteUrl = ''
beforeAll(async () => {
  server = await startPostgres()
  suiteUrl = await server.createDatabase()
})
afterAll(async () => {
  await server?.stop()
})

storeConformance('postgres', () => openPostgresStore({ url: suiteUrl }))

/** Runs `work` on a handle on `url`, closed after. */
async function withStore<T>(url: string, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openPostgresStore({ url })
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

/** One SQL statement on `url`, outside the store. */
async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(text, values)
  } finally {
    await client.end()
  }
}

describe('postgres driver', () => {
  test('openStore opens it; a fresh database gets every migration once', async () => {
    const url = await server.createDatabase()
    const store = await openStore({ driver: 'postgres', postgres: { url } })
    try {
      expect(store.driver).toBe('postgres')
      expect(await store.schemaVersion()).toBe(0)
      expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.version))
      expect(await store.schemaVersion()).toBe(LATEST_VERSION)
      expect(await store.migrate()).toEqual([])
    } finally {
      await store.close()
    }
  })

  test('handles migrating one empty database at once apply each migration exactly once', async () => {
    const url = await server.createDatabase()
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url })))
    try {
      const applied = await Promise.all(stores.map((store) => store.migrate()))
      expect(applied.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version))
      for (const versions of applied) expect([...versions].sort((a, b) => a - b)).toEqual(versions)
      const recorded = await sql(url, 'SELECT version FROM schema_migrations ORDER BY version')
      expect(recorded.rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version))
    } finally {
      await Promise.all(stores.map((store) => store.close()))
    }
  })

  test('a failing migration is rolled back whole, the earlier ones stay, and the error names it', async () => {
    const url = await server.createDatabase()
    const pool = new PgPool({
      url,
      poolSize: 2,
      statementTimeoutMs: 0,
      connectTimeoutMs: 5000,
      acquireTimeoutMs: 5000,
    })
    try {
      const list: Migration[] = [
        { version: 1, name: 'first', sql: 'CREATE TABLE one (a INTEGER)' },
        { version: 2, name: 'broken', sql: 'CREATE TABLE two (a INTEGER); INSERT INTO nowhere VALUES (1)' },
      ]
      const err = await rejectsWith(applyMigrations(pool, list), 'STORE_MIGRATION_FAILED')
      expect(err.shortMessage).toBe('store migration 2 (broken) failed')
      expect(await readSchemaVersion(pool)).toBe(1)
      expect((await sql(url, "SELECT to_regclass('two') AS t")).rows[0].t).toBeNull()
      const fixed: Migration[] = [
        list[0]!,
        { version: 2, name: 'fixed', sql: 'CREATE TABLE two (a INTEGER)' },
      ]
      expect(await applyMigrations(pool, fixed)).toEqual([2])
      expect(await applyMigrations(pool, fixed)).toEqual([])
    } finally {
      await pool.end()
    }
  })

  test('refuses a database migrated by a newer bridge with STORE_SCHEMA_TOO_NEW', async () => {
    const url = await server.createDatabase()
    const store = await openPostgresStore({ url })
    await store.migrate()
    await sql(url, 'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
      LATEST_VERSION + 1,
      'from_the_future',
      Date.now(),
    ])
    await rejectsWith(store.migrate(), 'STORE_SCHEMA_TOO_NEW')
    await store.close()
    const err = await rejectsWith(openPostgresStore({ url }), 'STORE_SCHEMA_TOO_NEW')
    expect(err.shortMessage).toContain(`schema version ${LATEST_VERSION + 1}`)
    expect(err.shortMessage).toContain(`127.0.0.1:${server.port}`)
    expect(err.hint).toMatch(/upgrade the bridge/)
  })

  test('a repo call before migrate says to migrate; bad options are refused', async () => {
    const url = await server.createDatabase()
    await withStore(url, async (store) => {
      const err = await rejectsWith(store.cursors.get('k'), 'STORE_QUERY_FAILED')
      expect(err.hint).toMatch(/migrate\(\)/)
    })
    await rejectsWith(openPostgresStore({ url: '' }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(openPostgresStore({ url: 'mysql://127.0.0.1/db' }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(openPostgresStore({ url, poolSize: 0 }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(openPostgresStore({ url, statementTimeoutMs: -1 }), 'STORE_INVALID_ARGUMENT')
    const missing = url.replace(/\/[^/]+$/, '/no_such_database')
    const err = await rejectsWith(openPostgresStore({ url: missing }), 'STORE_OPEN_FAILED')
    expect(err.hint).toMatch(/create the database/)
  })

  test('every pooled connection held past the acquire timeout: STORE_BUSY, retryable', async () => {
    const store = await openPostgresStore({ url: suiteUrl, poolSize: 1, acquireTimeoutMs: 200 })
    try {
      await store.migrate()
      let release = (): void => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const tx = store.transaction(async (repos) => {
        await repos.cursors.get(unique('held'))
        await held
      })
      await new Promise((resolve) => setTimeout(resolve, 50))
      const err = await rejectsWith(store.cursors.get(unique('waiting')), 'STORE_BUSY')
      expect(err.retryable).toBe(true)
      release()
      await tx
      expect(await store.cursors.get(unique('after'))).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  test('JSON holding \\u0000 round-trips: options and messages are stored as JSON text', async () => {
    await withStore(suiteUrl, async (store) => {
      await store.migrate()
      const options = { 'k\u0000ey': 'v\u0000', lone: '\uD800', nested: [{ a: '\u0000' }] }
      const address = unique('!room')
      const link = await store.links.create({
        name: 'nul',
        endpoints: [{ network: 'matrix', address, direction: 'both', options }],
      })
      expect((await store.links.get(link.id))?.endpoints[0]?.options).toStrictEqual(options)
      const message = testMessage('a\u0000b\uDC00')
      await store.messages.insert(message, 'api')
      expect((await store.messages.get(message.id))?.message).toStrictEqual(message)
    })
  })

  test('createMany from several handles on one (target, conversation): seqs 1..n, no gap, no repeat', async () => {
    const handles = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore({ url: suiteUrl })))
    try {
      await handles[0]!.migrate()
      const conversation = unique('conv')
      const targets = ['a', 'b'].map((name) => ({
        targetKey: unique(name),
        linkId: 'l1',
        network: 'webhook',
        address: `https://x/${name}`,
      }))
      // On its own, first in a transaction, after a read in a transaction, several per transaction.
      const create = (i: number) => {
        const store = handles[i % 3]!
        const order = i % 2 ? targets : [...targets].reverse()
        const id = testMessage().id
        switch (i % 4) {
          case 0:
            return store.deliveries.createMany(id, conversation, order)
          case 1:
            return store.transaction((tx) => tx.deliveries.createMany(id, conversation, order))
          case 2:
            return store.transaction(async (tx) => {
              await tx.cursors.get(unique('read-first'))
              return tx.deliveries.createMany(id, conversation, order)
            })
          default:
            return store.transaction(async (tx) => [
              ...(await tx.deliveries.createMany(id, conversation, [order[0]!])),
              ...(await tx.deliveries.createMany(id, conversation, [order[1]!])),
            ])
        }
      }
      const created = (await Promise.all(Array.from({ length: 80 }, (_, i) => create(i)))).flat()
      for (const target of targets) {
        const seqs = created
          .filter((row) => row.targetKey === target.targetKey)
          .map((row) => row.seq)
          .sort((a, b) => a - b)
        expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1))
      }
    } finally {
      await Promise.all(handles.map((store) => store.close()))
    }
  })

  test('conflicting transactions from several handles all commit, run again where needed', async () => {
    const handles = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore({ url: suiteUrl })))
    try {
      await handles[0]!.migrate()
      const key = unique('counter')
      await Promise.all(
        Array.from({ length: 45 }, (_, i) =>
          handles[i % 3]!.transaction(async (tx) => {
            const current = await tx.cursors.get(key)
            await tx.cursors.put(key, String(Number(current?.value ?? '0') + 1), current?.version ?? 0)
          }),
        ),
      )
      expect(await handles[1]!.cursors.get(key)).toMatchObject({ value: '45', version: 45 })
    } finally {
      await Promise.all(handles.map((store) => store.close()))
    }
  })
})
