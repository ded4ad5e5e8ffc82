import { expect, test } from 'vitest'
import type { Scope } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, unique } from './support.ts'

/** The API token repo. */
export function tokenConformance(ctx: ConformanceContext): void {
  test('create returns the stored token with a random url-safe id', async () => {
    const store = await ctx.open()
    const before = Date.now()
    const token = await store.tokens.create({
      name: 'ci bot',
      tokenHash: unique('hash'),
      scopes: ['read', 'send'],
    })
    const other = await store.tokens.create({ name: 'ci bot', tokenHash: unique('hash'), scopes: ['admin'] })
    expect(token).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      name: 'ci bot',
      scopes: ['read', 'send'],
      createdAt: expect.any(Number),
      revokedAt: null,
    })
    expect(token.createdAt).toBeGreaterThanOrEqual(before)
    expect(token.createdAt).toBeLessThanOrEqual(Date.now())
    expect(other.id).not.toBe(token.id)
  })

  test('findByHash finds the token, and undefined for an unknown hash', async () => {
    const store = await ctx.open()
    const tokenHash = unique('hash')
    const token = await store.tokens.create({ name: 'finder', tokenHash, scopes: ['read'] })
    expect(await store.tokens.findByHash(tokenHash)).toEqual(token)
    expect(await store.tokens.findByHash(unique('unknown'))).toBeUndefined()
    expect(await store.tokens.findByHash(tokenHash.toUpperCase())).toBeUndefined()
  })

  test('list holds every token, revoked ones included, oldest first', async () => {
    const store = await ctx.open()
    const a = await store.tokens.create({ name: 'a', tokenHash: unique('hash'), scopes: ['read'] })
    const b = await store.tokens.create({ name: 'b', tokenHash: unique('hash'), scopes: ['send'] })
    await store.tokens.revoke(a.id)
    const list = await store.tokens.list()
    expect(list.find((t) => t.id === b.id)).toEqual(b)
    expect(list.find((t) => t.id === a.id)?.revokedAt).toEqual(expect.any(Number))
    const times = list.map((t) => t.createdAt)
    expect(times).toEqual([...times].sort((x, y) => x - y))
  })

  test('revoke marks the token once; the revoked token is still found with revokedAt set', async () => {
    const store = await ctx.open()
    const tokenHash = unique('hash')
    const token = await store.tokens.create({ name: 'revoked', tokenHash, scopes: ['admin'] })
    expect(await store.tokens.revoke(token.id)).toBe(true)
    expect(await store.tokens.revoke(token.id)).toBe(false)
    expect(await store.tokens.revoke(unique('no-such-id'))).toBe(false)
    const found = await store.tokens.findByHash(tokenHash)
    expect(found).toEqual({ ...token, revokedAt: expect.any(Number) })
    expect(found?.revokedAt).toBeGreaterThanOrEqual(token.createdAt)
  })

  test('scopes are checked, duplicates dropped, order kept', async () => {
    const store = await ctx.open()
    const token = await store.tokens.create({
      name: 'x',
      tokenHash: unique('hash'),
      scopes: ['send', 'read', 'send'],
    })
    expect(token.scopes).toEqual(['send', 'read'])
    const create = (scopes: unknown[]) =>
      store.tokens.create({ name: 'x', tokenHash: unique('hash'), scopes: scopes as Scope[] })
    await rejectsWith(create([]), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(create(['root']), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(create(['READ']), 'STORE_INVALID_ARGUMENT')
  })

  test('a second token with the same hash is refused with STORE_DUPLICATE', async () => {
    const store = await ctx.open()
    const tokenHash = unique('hash')
    await store.tokens.create({ name: 'first', tokenHash, scopes: ['read'] })
    const err = await rejectsWith(
      store.tokens.create({ name: 'second', tokenHash, scopes: ['read'] }),
      'STORE_DUPLICATE',
    )
    expect(err.retryable).toBe(false)
    expect(err.message).not.toContain(tokenHash)
    expect((await store.tokens.findByHash(tokenHash))?.name).toBe('first')
  })

  test('empty or non-text names and hashes are refused without echoing them', async () => {
    const store = await ctx.open()
    await rejectsWith(
      store.tokens.create({ name: '', tokenHash: unique('hash'), scopes: ['read'] }),
      'STORE_INVALID_ARGUMENT',
    )
    const err = await rejectsWith(
      store.tokens.create({ name: 'n', tokenHash: 'secret\0hash', scopes: ['read'] }),
      'STORE_INVALID_ARGUMENT',
    )
    expect(err.message).not.toContain('secret')
    expect(err.status).toBe(400)
    await rejectsWith(store.tokens.findByHash(''), 'STORE_INVALID_ARGUMENT')
  })
}
