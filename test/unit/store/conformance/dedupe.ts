import { expect, test } from 'vitest'
import { type ConformanceContext, rejectsWith, sleep, unique } from './support.ts'

/** Long enough that the calls made before expiry finish before it, even on a loaded machine. */
const TTL_MS = 300

/** The dedupe repo: first sighting, scopes, expiry and purge. */
export function dedupeConformance(ctx: ConformanceContext): void {
  test('remember is true the first time and false after; has follows', async () => {
    const store = await ctx.open()
    const scope = unique('matrix-txn')
    expect(await store.dedupe.has(scope, 'txn-1')).toBe(false)
    expect(await store.dedupe.remember(scope, 'txn-1')).toBe(true)
    expect(await store.dedupe.remember(scope, 'txn-1')).toBe(false)
    expect(await store.dedupe.remember(scope, 'txn-1', 60_000)).toBe(false)
    expect(await store.dedupe.has(scope, 'txn-1')).toBe(true)
  })

  test('scopes are independent, and ids are compared exactly', async () => {
    const store = await ctx.open()
    const a = unique('scope-a')
    const b = unique('scope-b')
    expect(await store.dedupe.remember(a, 'id')).toBe(true)
    expect(await store.dedupe.remember(b, 'id')).toBe(true)
    expect(await store.dedupe.remember(a, 'ID')).toBe(true)
    expect(await store.dedupe.remember(a, 'id ')).toBe(true)
    expect(await store.dedupe.has(b, 'id')).toBe(true)
    expect(await store.dedupe.has(unique('scope-c'), 'id')).toBe(false)
  })

  test('a mark expires after its ttl, and remember is true again', async () => {
    const store = await ctx.open()
    const scope = unique('ttl')
    expect(await store.dedupe.remember(scope, 'm', TTL_MS)).toBe(true)
    expect(await store.dedupe.remember(scope, 'm', TTL_MS)).toBe(false)
    expect(await store.dedupe.has(scope, 'm')).toBe(true)
    await sleep(TTL_MS + 30)
    expect(await store.dedupe.has(scope, 'm')).toBe(false)
    expect(await store.dedupe.remember(scope, 'm', TTL_MS)).toBe(true)
    expect(await store.dedupe.remember(scope, 'm', TTL_MS)).toBe(false)
  })

  test('purgeExpired deletes the marks expired at the given time, and only those', async () => {
    const store = await ctx.open()
    const scope = unique('purge')
    await store.dedupe.remember(scope, 'short', TTL_MS)
    await store.dedupe.remember(scope, 'long', 3_600_000)
    await store.dedupe.remember(scope, 'forever')
    expect(await store.dedupe.purgeExpired(Date.now() - 60_000)).toBeGreaterThanOrEqual(0)
    expect(await store.dedupe.has(scope, 'short')).toBe(true)

    const purged = await store.dedupe.purgeExpired(Date.now() + TTL_MS + 1000)
    expect(purged).toBeGreaterThanOrEqual(1)
    expect(Number.isSafeInteger(purged)).toBe(true)
    expect(await store.dedupe.remember(scope, 'short', TTL_MS)).toBe(true)
    expect(await store.dedupe.has(scope, 'long')).toBe(true)

    await store.dedupe.purgeExpired(Number.MAX_SAFE_INTEGER)
    expect(await store.dedupe.has(scope, 'forever')).toBe(true)
    expect(await store.dedupe.has(scope, 'long')).toBe(false)
  })

  test('purgeExpired without a time purges what has expired by now', async () => {
    const store = await ctx.open()
    const scope = unique('purge-now')
    await store.dedupe.remember(scope, 'm', 1)
    await sleep(10)
    expect(await store.dedupe.purgeExpired()).toBeGreaterThanOrEqual(1)
    expect(await store.dedupe.remember(scope, 'm')).toBe(true)
  })

  test('bad ttls, times and empty names are refused', async () => {
    const store = await ctx.open()
    const scope = unique('bad')
    for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await rejectsWith(store.dedupe.remember(scope, 'm', ttl), 'STORE_INVALID_ARGUMENT')
    }
    await rejectsWith(store.dedupe.remember('', 'm'), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.dedupe.remember(scope, ''), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.dedupe.has(scope, 'a\0b'), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.dedupe.purgeExpired(Number.NaN), 'STORE_INVALID_ARGUMENT')
    expect(await store.dedupe.has(scope, 'm')).toBe(false)
  })
}
