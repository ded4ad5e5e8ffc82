import { expect, test } from 'vitest'
import { type ConformanceContext, rejectsWith, unique } from './support.ts'

/** Migrations, handles, close and reopen. */
export function lifecycleConformance(ctx: ConformanceContext): void {
  test('migrate applies versions in order, then is idempotent; schemaVersion reports the newest', async () => {
    const store = await ctx.openRaw()
    const applied = await store.migrate()
    expect([...applied].sort((a, b) => a - b)).toEqual(applied)
    const version = await store.schemaVersion()
    expect(Number.isSafeInteger(version)).toBe(true)
    expect(version).toBeGreaterThanOrEqual(1)
    for (const v of applied) expect(v).toBeLessThanOrEqual(version)
    expect(await store.migrate()).toEqual([])
    expect(await store.schemaVersion()).toBe(version)
  })

  test('reports its driver and answers ping', async () => {
    const store = await ctx.open()
    expect(['sqlite', 'postgres']).toContain(store.driver)
    await expect(store.ping()).resolves.toBeUndefined()
  })

  test('data survives close and reopen', async () => {
    const key = unique('reopen')
    const first = await ctx.open()
    await first.cursors.put(key, 'kept')
    const token = await first.tokens.create({ name: key, tokenHash: unique('hash'), scopes: ['read'] })
    await first.dedupe.remember(key, 'msg-1')
    await first.close()

    const second = await ctx.open()
    expect(await second.migrate()).toEqual([])
    expect((await second.cursors.get(key))?.value).toBe('kept')
    expect(await second.tokens.list()).toContainEqual(token)
    expect(await second.dedupe.has(key, 'msg-1')).toBe(true)
  })

  test('two handles on one database see each other’s committed writes', async () => {
    const key = unique('handles')
    const a = await ctx.open()
    const b = await ctx.open()
    await a.cursors.put(key, 'from a')
    expect((await b.cursors.get(key))?.value).toBe('from a')
    await b.cursors.put(key, 'from b', 1)
    expect(await a.cursors.get(key)).toMatchObject({ value: 'from b', version: 2 })
  })

  test('close waits for calls already made, is idempotent, and later calls throw STORE_CLOSED', async () => {
    const key = unique('close')
    const store = await ctx.open()
    const pending = store.cursors.put(key, 'written before close')
    await Promise.all([store.close(), store.close()])
    await expect(pending).resolves.toBe(1)
    await store.close()
    await rejectsWith(store.cursors.get(key), 'STORE_CLOSED')
    await rejectsWith(
      store.transaction(async () => 1),
      'STORE_CLOSED',
    )
    await rejectsWith(store.ping(), 'STORE_CLOSED')

    const again = await ctx.open()
    expect((await again.cursors.get(key))?.value).toBe('written before close')
  })
}
