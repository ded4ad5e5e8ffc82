import { expect, test } from 'vitest'
import { MAX_NATIVE_BATCH } from '../../../../src/store/native-port.ts'
import { type ConformanceContext, rejectsWith, sleep, unique } from './support.ts'

/** Native ids: one-to-one per (network, scope), first writer wins, batch lookups, trimming. */
export function nativeConformance(ctx: ConformanceContext): void {
  test('put stores a pair; both lookups find it, in its scope only', async () => {
    const store = await ctx.open()
    const room = unique('!room')
    const event = unique('$event')
    const message = unique('m')
    const before = Date.now()
    const pair = await store.natives.put('matrix', room, event, message)
    expect(pair).toEqual({
      network: 'matrix',
      scope: room,
      nativeId: event,
      messageId: message,
      createdAt: expect.any(Number),
    })
    expect(pair.createdAt).toBeGreaterThanOrEqual(before)
    expect(await store.natives.messageOf('matrix', room, event)).toBe(message)
    expect(await store.natives.nativeOf('matrix', room, message)).toBe(event)
    expect(await store.natives.messageOf('matrix', unique('!other'), event)).toBeUndefined()
    expect(await store.natives.messageOf('email', room, event)).toBeUndefined()
    expect(await store.natives.nativeOf('matrix', unique('!other'), message)).toBeUndefined()
    expect(await store.natives.messageOf('matrix', room, event.toUpperCase())).toBeUndefined()
  })

  test('put again returns the stored pair unchanged; the first writer wins both ways', async () => {
    const store = await ctx.open()
    const room = unique('!room')
    const first = await store.natives.put('matrix', room, '$a', 'm-a')
    expect(await store.natives.put('matrix', room, '$a', 'm-a')).toEqual(first)
    // The native id is taken: the pair holding it comes back, nothing else is stored.
    expect(await store.natives.put('matrix', room, '$a', 'm-b')).toEqual(first)
    expect(await store.natives.nativeOf('matrix', room, 'm-b')).toBeUndefined()
    // The message id is taken: likewise.
    expect(await store.natives.put('matrix', room, '$b', 'm-a')).toEqual(first)
    expect(await store.natives.messageOf('matrix', room, '$b')).toBeUndefined()
    // One message may have a native id in each of several scopes.
    const elsewhere = unique('!room')
    expect((await store.natives.put('matrix', elsewhere, '$z', 'm-a')).nativeId).toBe('$z')
    expect(await store.natives.nativeOf('matrix', elsewhere, 'm-a')).toBe('$z')
  })

  test('processes racing to pair one native id all get the same pair', async () => {
    const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open()])
    const room = unique('!room')
    const made = await Promise.all(stores.map((s, i) => s.natives.put('matrix', room, '$raced', `m-${i}`)))
    expect(new Set(made.map((p) => p.messageId)).size).toBe(1)
    expect(made[1]).toEqual(made[0])
    expect(made[2]).toEqual(made[0])
    expect(await stores[0]!.natives.messageOf('matrix', room, '$raced')).toBe(made[0]!.messageId)
  })

  test('batch lookups answer with the pairs found, in one scope', async () => {
    const store = await ctx.open()
    const room = unique('!room')
    for (const n of [1, 2, 3]) await store.natives.put('matrix', room, `$e${n}`, `m${n}`)
    await store.natives.put('matrix', unique('!other'), '$e4', 'm4')
    const messages = await store.natives.messagesOf('matrix', room, ['$e1', '$e3', '$e4', '$none', '$e1'])
    expect(messages).toEqual(
      new Map([
        ['$e1', 'm1'],
        ['$e3', 'm3'],
      ]),
    )
    const natives = await store.natives.nativesOf('matrix', room, ['m2', 'm3', 'm4'])
    expect(natives).toEqual(
      new Map([
        ['m2', '$e2'],
        ['m3', '$e3'],
      ]),
    )
    expect(await store.natives.messagesOf('matrix', room, [])).toEqual(new Map())
    expect(await store.natives.nativesOf('matrix', room, [])).toEqual(new Map())
    const full = Array.from({ length: MAX_NATIVE_BATCH }, (_, i) => `$e${i}`)
    expect((await store.natives.messagesOf('matrix', room, full)).size).toBe(3)
  })

  test('an empty scope is a scope of its own; strings are kept exactly', async () => {
    const store = await ctx.open()
    const messageId = unique('m')
    const nativeId = `<${unique('id')}@example.org> ünï ✉️`
    await store.natives.put('email', '', nativeId, messageId)
    expect(await store.natives.messageOf('email', '', nativeId)).toBe(messageId)
    expect(await store.natives.nativesOf('email', '', [messageId])).toEqual(new Map([[messageId, nativeId]]))
    expect(await store.natives.messageOf('email', ' ', nativeId)).toBeUndefined()
  })

  test('a transaction commits pairs with its other writes, or none', async () => {
    const store = await ctx.open()
    const room = unique('!room')
    await store.transaction(async (tx) => {
      await tx.natives.put('matrix', room, '$kept', 'm-kept')
      expect(await tx.natives.messageOf('matrix', room, '$kept')).toBe('m-kept')
    })
    const boom = new Error('boom')
    await expect(
      store.transaction(async (tx) => {
        await tx.natives.put('matrix', room, '$lost', 'm-lost')
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(await store.natives.messagesOf('matrix', room, ['$kept', '$lost'])).toEqual(
      new Map([['$kept', 'm-kept']]),
    )
  })

  test('deleteBefore forgets the pairs stored before the cutoff, and only those', async () => {
    const store = await ctx.open()
    const room = unique('!room')
    const old = await store.natives.put('matrix', room, '$old', 'm-old')
    await sleep(5)
    const recent = await store.natives.put('matrix', room, '$recent', 'm-recent')
    expect(recent.createdAt).toBeGreaterThan(old.createdAt)
    expect(await store.natives.deleteBefore(old.createdAt)).toBeGreaterThanOrEqual(0)
    expect(await store.natives.messageOf('matrix', room, '$old')).toBe('m-old')
    const deleted = await store.natives.deleteBefore(recent.createdAt)
    expect(deleted).toBeGreaterThanOrEqual(1)
    expect(Number.isSafeInteger(deleted)).toBe(true)
    expect(await store.natives.messageOf('matrix', room, '$old')).toBeUndefined()
    expect(await store.natives.nativeOf('matrix', room, 'm-recent')).toBe('$recent')
    // Forgotten, its ids are free again.
    expect((await store.natives.put('matrix', room, '$old', 'm-new')).messageId).toBe('m-new')
  })

  test('bad input is STORE_INVALID_ARGUMENT and stores nothing', async () => {
    const store = await ctx.open()
    const room = unique('!room')
    const bad = (p: Promise<unknown>) => rejectsWith(p, 'STORE_INVALID_ARGUMENT')
    await bad(store.natives.put('', room, '$e', 'm'))
    await bad(store.natives.put('matrix', room, '', 'm'))
    await bad(store.natives.put('matrix', room, '$e', ''))
    await bad(store.natives.put('matrix', 'a\0b', '$e', 'm'))
    await bad(store.natives.put('matrix', room, '$e', '\ud800'))
    await bad(store.natives.put('matrix', 7 as unknown as string, '$e', 'm'))
    await bad(store.natives.messageOf('matrix', room, ''))
    await bad(store.natives.nativeOf('matrix', room, 'a\0'))
    await bad(store.natives.messagesOf('matrix', room, '$e' as unknown as string[]))
    await bad(store.natives.messagesOf('matrix', room, ['$e', 7 as unknown as string]))
    await bad(store.natives.nativesOf('matrix', room, ['']))
    const tooMany = Array.from({ length: MAX_NATIVE_BATCH + 1 }, (_, i) => `m${i}`)
    await bad(store.natives.nativesOf('matrix', room, tooMany))
    for (const cutoff of [Number.NaN, Number.POSITIVE_INFINITY, undefined, '1']) {
      await bad(store.natives.deleteBefore(cutoff as number))
    }
    expect(await store.natives.messageOf('matrix', room, '$e')).toBeUndefined()
  })
}
