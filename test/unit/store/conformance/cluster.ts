import { expect, test } from 'vitest'
import { type ConformanceContext, rejectsWith, sleep, unique } from './support.ts'

/** Leases (fencing tokens, expiry, handover) and the process registry. */
export function clusterConformance(ctx: ConformanceContext): void {
  test('a lease goes to one holder at a time; the holder extends it with the same token', async () => {
    const store = await ctx.open()
    const name = unique('lease')
    const a = await store.leases.acquire(name, 'proc-a', 10_000)
    expect(a).toMatchObject({ name, holder: 'proc-a', token: 1 })
    expect(a!.expiresAt - a!.acquiredAt).toBe(10_000)
    expect(await store.leases.acquire(name, 'proc-b', 10_000)).toBeUndefined()
    const again = await store.leases.acquire(name, 'proc-a', 20_000)
    expect(again).toMatchObject({ holder: 'proc-a', token: 1, acquiredAt: a!.acquiredAt })
    expect(await store.leases.renew(name, 'proc-a', 1, 10_000)).toBe(true)
    expect(await store.leases.renew(name, 'proc-b', 1, 10_000)).toBe(false)
    expect(await store.leases.renew(name, 'proc-a', 2, 10_000)).toBe(false)
  })

  test('racing acquirers: exactly one wins', async () => {
    const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open()])
    const name = unique('race')
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (stores[i % 3] ?? stores[0]!).leases.acquire(name, `p${i}`, 10_000),
      ),
    )
    const winners = results.filter((r) => r !== undefined)
    expect(winners).toHaveLength(1)
    expect(winners[0]?.token).toBe(1)
  })

  test('after expiry another holder takes it with the next token, and the old token is fenced', async () => {
    const store = await ctx.open()
    const name = unique('expiry')
    // Long enough that the first check is in time on a loaded machine (50 ms was not, in CI).
    const a = await store.leases.acquire(name, 'proc-a', 600)
    await store.leases.check(name, a!.token)
    await sleep(700)
    await rejectsWith(store.leases.check(name, a!.token), 'STORE_FENCED')
    const b = await store.leases.acquire(name, 'proc-b', 10_000)
    expect(b).toMatchObject({ holder: 'proc-b', token: 2 })
    expect(await store.leases.renew(name, 'proc-a', a!.token, 10_000)).toBe(false)
    const fenced = await rejectsWith(store.leases.check(name, a!.token), 'STORE_FENCED')
    expect(fenced.retryable).toBe(false)
    await store.leases.check(name, 2)
  })

  test('release hands over at once; a stale release or check changes nothing', async () => {
    const store = await ctx.open()
    const name = unique('release')
    const a = await store.leases.acquire(name, 'proc-a', 60_000)
    expect(await store.leases.release(name, 'proc-b', a!.token)).toBe(false)
    expect(await store.leases.release(name, 'proc-a', a!.token)).toBe(true)
    expect(await store.leases.release(name, 'proc-a', a!.token)).toBe(false)
    const b = await store.leases.acquire(name, 'proc-b', 60_000)
    expect(b).toMatchObject({ holder: 'proc-b', token: 2 })
    // proc-a taking it back after losing it gets a new token, never its old one.
    await store.leases.release(name, 'proc-b', 2)
    expect(await store.leases.acquire(name, 'proc-a', 60_000)).toMatchObject({ token: 3 })
  })

  test('a fenced check inside a transaction rolls the guarded write back', async () => {
    const store = await ctx.open()
    const name = unique('guard')
    const key = unique('cursor')
    await store.leases.acquire(name, 'proc-a', 40)
    await sleep(60)
    await store.leases.acquire(name, 'proc-b', 10_000)
    await rejectsWith(
      store.transaction(async (tx) => {
        await tx.cursors.put(key, 'written by a stale holder')
        await tx.leases.check(name, 1)
      }),
      'STORE_FENCED',
    )
    expect(await store.cursors.get(key)).toBeUndefined()
  })

  test('leases are listed with their holders', async () => {
    const store = await ctx.open()
    const name = unique('listed')
    await store.leases.acquire(name, 'proc-z', 10_000)
    expect((await store.leases.list()).find((l) => l.name === name)).toMatchObject({
      holder: 'proc-z',
      token: 1,
    })
  })

  test('bad lease arguments are refused', async () => {
    const store = await ctx.open()
    await rejectsWith(store.leases.acquire('', 'p', 1000), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.leases.acquire('x', 'p', 0), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.leases.check('x', 1.5), 'STORE_INVALID_ARGUMENT')
  })

  test('processes heartbeat, are listed while live, and removed on exit', async () => {
    const store = await ctx.open()
    const id = unique('proc')
    const startedAt = Date.now()
    await store.processes.heartbeat({ id, role: 'worker', host: 'h1', pid: 42, version: '0.1.0', startedAt })
    const seen = (await store.processes.list(startedAt - 1)).find((p) => p.id === id)
    expect(seen).toMatchObject({ id, role: 'worker', host: 'h1', pid: 42, version: '0.1.0', startedAt })
    expect(seen!.lastSeen).toBeGreaterThanOrEqual(startedAt)
    expect((await store.processes.list(Date.now() + 60_000)).find((p) => p.id === id)).toBeUndefined()
    await store.processes.heartbeat({ id, role: 'node', host: 'h1', pid: 42, version: '0.1.0', startedAt })
    expect((await store.processes.list(0)).find((p) => p.id === id)?.role).toBe('node')
    await store.processes.remove(id)
    expect((await store.processes.list(0)).find((p) => p.id === id)).toBeUndefined()
    await rejectsWith(
      store.processes.heartbeat({ id, role: 'boss' as 'node', host: 'h', pid: 1, version: 'v', startedAt }),
      'STORE_INVALID_ARGUMENT',
    )
  })
}
