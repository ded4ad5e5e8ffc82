import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import type { Store } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, unique } from './support.ts'

/** Text the store must keep exactly: any code points but NUL (fast-check's 'binary' has no lone surrogates). */
const storable = (minLength: number) =>
  fc
    .oneof(
      fc.string({ unit: 'binary', minLength }),
      fc.string({ unit: 'grapheme', minLength }),
      fc
        .constantFrom('', ' ', 'héllo', '🏳️‍🌈', 'ｆｕｌｌ', 'a\u0301', '\uFEFF', "'; DROP TABLE cursors; --")
        .filter((s) => s.length >= minLength),
    )
    .filter((s) => !s.includes('\0'))

/** Text no driver can store exactly: it holds a NUL or a lone surrogate. */
const unstorable = fc
  .tuple(fc.string(), fc.constantFrom('\0', '\uD800', '\uDFFF', 'a\uDC00b'), fc.string())
  .map(([a, bad, b]) => a + bad + b)

/** The cursor repo, its compare-and-set, and exact round trips. */
export function cursorConformance(ctx: ConformanceContext): void {
  test('get of an unknown key is undefined', async () => {
    const store = await ctx.open()
    expect(await store.cursors.get(unique('missing'))).toBeUndefined()
  })

  test('put creates at version 1 and each overwrite adds one', async () => {
    const store = await ctx.open()
    const key = unique('cursor')
    const before = Date.now()
    expect(await store.cursors.put(key, '100')).toBe(1)
    const created = await store.cursors.get(key)
    expect(created).toEqual({ value: '100', version: 1, updatedAt: expect.any(Number) })
    expect(created?.updatedAt).toBeGreaterThanOrEqual(before)
    expect(await store.cursors.put(key, '200')).toBe(2)
    expect(await store.cursors.put(key, '')).toBe(3)
    expect(await store.cursors.get(key)).toMatchObject({ value: '', version: 3 })
  })

  test('compare-and-set succeeds when the version matches', async () => {
    const store = await ctx.open()
    const key = unique('cas')
    expect(await store.cursors.put(key, 'a', 0)).toBe(1)
    expect(await store.cursors.put(key, 'b', 1)).toBe(2)
    expect(await store.cursors.get(key)).toMatchObject({ value: 'b', version: 2 })
  })

  test('compare-and-set on a stale version throws STORE_CONFLICT (retryable) and changes nothing', async () => {
    const store = await ctx.open()
    const key = unique('cas')
    await store.cursors.put(key, 'a')
    await store.cursors.put(key, 'b')
    const err = await rejectsWith(store.cursors.put(key, 'c', 1), 'STORE_CONFLICT')
    expect(err.retryable).toBe(true)
    expect(err.status).toBe(409)
    expect(await store.cursors.get(key)).toMatchObject({ value: 'b', version: 2 })
  })

  test('expectedVersion 0 on an existing key, or n > 0 on a missing key, conflicts', async () => {
    const store = await ctx.open()
    const key = unique('cas')
    await store.cursors.put(key, 'a')
    const err = await rejectsWith(store.cursors.put(key, 'again', 0), 'STORE_CONFLICT')
    expect(err.retryable).toBe(true)
    expect((await store.cursors.get(key))?.value).toBe('a')
    const missing = unique('missing')
    await rejectsWith(store.cursors.put(missing, 'x', 3), 'STORE_CONFLICT')
    expect(await store.cursors.get(missing)).toBeUndefined()
  })

  test('a bad expectedVersion or an empty key is refused', async () => {
    const store = await ctx.open()
    const key = unique('bad')
    for (const version of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await rejectsWith(store.cursors.put(key, 'v', version), 'STORE_INVALID_ARGUMENT')
    }
    await rejectsWith(store.cursors.put('', 'v'), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.cursors.get(''), 'STORE_INVALID_ARGUMENT')
    expect(await store.cursors.get(key)).toBeUndefined()
  })

  describe('round trips', () => roundTrips(ctx))
}

/** Property tests on one handle shared by all runs. */
function roundTrips(ctx: ConformanceContext): void {
  let store: Store
  const prefix = unique('prop')
  beforeAll(async () => {
    store = await ctx.factory()
    await store.migrate()
  })
  afterAll(async () => {
    await store.close()
  })

  test.prop([storable(1), storable(0)])(
    'arbitrary keys and values round-trip exactly',
    async (key, value) => {
      const fullKey = `${prefix}/${key}`
      const version = await store.cursors.put(fullKey, value)
      const got = await store.cursors.get(fullKey)
      expect(got?.value).toBe(value)
      expect(got?.version).toBe(version)
    },
  )

  test.prop([unstorable, fc.boolean()])(
    'keys and values with NUL or lone surrogates are refused',
    async (bad, asKey) => {
      const key = asKey ? `${prefix}/${bad}` : `${prefix}/bad`
      const value = asKey ? 'v' : bad
      await rejectsWith(store.cursors.put(key, value), 'STORE_INVALID_ARGUMENT')
      if (asKey) await rejectsWith(store.cursors.get(key), 'STORE_INVALID_ARGUMENT')
      else expect(await store.cursors.get(key)).toBeUndefined()
    },
  )
}
