import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, test } from 'vitest'
import { openConnection } from '../../../src/store/sqlite/connection.ts'
import { openSqliteStore } from '../../../src/store/sqlite/index.ts'
import { LATEST_VERSION, MIGRATIONS } from '../../../src/store/sqlite/migrations.ts'
import { latch, rejectsWith, sleep } from './conformance/support.ts'
import { storeConformance } from './conformance.ts'

const dir = mkdtempSync(join(tmpdir(), 'mfb-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let fileCount = 0
/** A path in a directory that does not exist yet. */
function freshPath(): string {
  fileCount += 1
  return join(dir, `case-${fileCount}`, 'data', 'bridge.db')
}

storeConformance('sqlite file', () => openSqliteStore({ path: join(dir, 'suite', 'bridge.db') }))

describe('sqlite driver', () => {
  test('a fresh file is created with its directory, and migrate applies every migration once', async () => {
    const store = await openSqliteStore({ path: freshPath() })
    try {
      expect(store.driver).toBe('sqlite')
      expect(await store.schemaVersion()).toBe(0)
      expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.version))
      expect(await store.schemaVersion()).toBe(LATEST_VERSION)
      expect(await store.migrate()).toEqual([])
    } finally {
      await store.close()
    }
  })

  test('the file is in WAL mode, and a connection has synchronous=NORMAL, foreign keys and the busy timeout', async () => {
    const path = freshPath()
    const store = await openSqliteStore({ path })
    await store.migrate()
    await store.close()
    const raw = new DatabaseSync(path)
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
    raw.close()

    const conn = openConnection(path, 1234)
    expect(conn.get('PRAGMA synchronous')).toEqual({ synchronous: 1 })
    expect(conn.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 })
    expect(conn.get('PRAGMA busy_timeout')).toEqual({ timeout: 1234 })
    conn.close()
  })

  test('refuses a database migrated by a newer bridge with STORE_SCHEMA_TOO_NEW', async () => {
    const path = freshPath()
    const store = await openSqliteStore({ path })
    await store.migrate()
    const raw = new DatabaseSync(path)
    raw
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(LATEST_VERSION + 1, 'from_the_future', Date.now())
    raw.close()
    await rejectsWith(store.migrate(), 'STORE_SCHEMA_TOO_NEW')
    await store.close()

    const err = await rejectsWith(openSqliteStore({ path }), 'STORE_SCHEMA_TOO_NEW')
    expect(err.shortMessage).toContain(`schema version ${LATEST_VERSION + 1}`)
    expect(err.shortMessage).toContain(path)
    expect(err.hint).toMatch(/upgrade the bridge/)
  })

  test('a path under a regular file fails with STORE_OPEN_FAILED naming the path', async () => {
    const file = join(dir, 'a-regular-file')
    writeFileSync(file, 'not a directory')
    const path = join(file, 'sub', 'bridge.db')
    const err = await rejectsWith(openSqliteStore({ path }), 'STORE_OPEN_FAILED')
    expect(err.shortMessage).toContain(path)
    expect(err.hint).toMatch(/data_dir exists and is writable/)
    expect(err.cause).toBeDefined()
  })

  test('a file that is not a SQLite database fails with STORE_OPEN_FAILED', async () => {
    const path = join(dir, 'garbage.db')
    writeFileSync(
      path,
      'this is not a database, just some text that is long enough to have a header'.repeat(20),
    )
    const err = await rejectsWith(openSqliteStore({ path }), 'STORE_OPEN_FAILED')
    expect(err.hint).toMatch(/not a SQLite database/)
  })

  test('bad options are refused', async () => {
    await rejectsWith(openSqliteStore({ path: '' }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(openSqliteStore({ path: freshPath(), busyTimeoutMs: -1 }), 'STORE_INVALID_ARGUMENT')
  })

  test(':memory: works, privately per handle', async () => {
    const a = await openSqliteStore({ path: ':memory:' })
    const b = await openSqliteStore({ path: ':memory:' })
    expect(await a.migrate()).toEqual(MIGRATIONS.map((m) => m.version))
    await a.cursors.put('k', 'v')
    await b.migrate()
    expect(await b.cursors.get('k')).toBeUndefined()
    expect((await a.cursors.get('k'))?.value).toBe('v')
    await Promise.all([a.close(), b.close()])
  })

  test('a repo call before migrate says to migrate', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    const err = await rejectsWith(store.cursors.get('k'), 'STORE_QUERY_FAILED')
    expect(err.hint).toMatch(/migrate\(\)/)
    await store.close()
  })

  test('another process holding the write lock yields STORE_BUSY (retryable) after the busy timeout', async () => {
    const path = freshPath()
    const store = await openSqliteStore({ path, busyTimeoutMs: 50 })
    await store.migrate()
    const other = new DatabaseSync(path)
    other.exec('BEGIN IMMEDIATE')
    const err = await rejectsWith(store.cursors.put('k', 'v'), 'STORE_BUSY')
    expect(err.retryable).toBe(true)
    await rejectsWith(
      store.transaction(async (tx) => tx.cursors.put('k', 'v')),
      'STORE_BUSY',
    )
    other.exec('COMMIT')
    other.close()
    expect(await store.cursors.put('k', 'v')).toBe(1)
    await store.close()
  })

  test('a call made while a transaction is open waits until it commits', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    const events: string[] = []
    const started = latch()
    const tx = store.transaction(async (repos) => {
      await repos.cursors.put('k', 'in tx')
      started.release()
      await sleep(20)
      events.push('commit')
    })
    await started.promise
    const read = store.cursors.get('k').then((got) => {
      events.push(`read ${got?.value}`)
    })
    await Promise.all([tx, read])
    expect(events).toEqual(['commit', 'read in tx'])
    await store.close()
  })
})
