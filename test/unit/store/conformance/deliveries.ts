import { expect, test } from 'vitest'
import type { DeliveryState, DeliveryTarget } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, testMessage, unique } from './support.ts'

/** A target on a fresh key. */
function target(name = 'hook'): DeliveryTarget {
  const targetKey = unique(`l1/webhook/${name}`)
  return { targetKey, linkId: 'l1', network: 'webhook', address: `https://example.com/${name}` }
}

const boom = { code: 'HTTP_503', message: 'the receiver answered 503' }

/** The delivery repo: creation and seq, the state machine, counts and ordering. */
export function deliveryConformance(ctx: ConformanceContext): void {
  test('createMany creates pending rows in target order; get and listByMessage return them', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const conversation = unique('conv')
    const targets = [target('b'), target('a'), target('c')]
    const before = Date.now()
    const rows = await store.deliveries.createMany(id, conversation, targets)
    expect(rows.map((r) => r.targetKey)).toEqual(targets.map((t) => t.targetKey))
    for (const [i, row] of rows.entries()) {
      expect(row).toEqual({
        ...targets[i],
        messageId: id,
        conversationKey: conversation,
        seq: 1,
        state: 'pending',
        attempts: 0,
        nativeId: null,
        lastError: null,
        createdAt: expect.any(Number),
        updatedAt: row.createdAt,
        deliveredAt: null,
      })
      expect(row.createdAt).toBeGreaterThanOrEqual(before)
      expect(await store.deliveries.get(id, row.targetKey)).toEqual(row)
    }
    const listed = await store.deliveries.listByMessage(id)
    expect(listed).toHaveLength(3)
    expect(listed).toEqual(expect.arrayContaining(rows))
    expect(await store.deliveries.get(id, unique('none'))).toBeUndefined()
    expect(await store.deliveries.listByMessage(testMessage().id)).toEqual([])
    expect(await store.deliveries.createMany(id, conversation, [])).toEqual([])
  })

  test('getWithMessage reads a delivery with its message; undefined when either is missing', async () => {
    const store = await ctx.open()
    const message = testMessage()
    await store.messages.insert(message, 'api')
    const [row] = await store.deliveries.createMany(message.id, unique('conv'), [target()])
    expect(await store.deliveries.getWithMessage(message.id, row!.targetKey)).toEqual({
      delivery: row,
      message,
    })
    expect(await store.deliveries.getWithMessage(message.id, unique('none'))).toBeUndefined()
    const orphan = testMessage().id
    const [lonely] = await store.deliveries.createMany(orphan, unique('conv'), [target()])
    expect(await store.deliveries.getWithMessage(orphan, lonely!.targetKey)).toBeUndefined()
    await rejectsWith(store.deliveries.getWithMessage('', row!.targetKey), 'STORE_INVALID_ARGUMENT')
  })

  test('createMany is idempotent: existing rows keep state, attempts and seq; only new targets are added', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const conversation = unique('conv')
    const [a, b] = [target('a'), target('b')]
    const [first] = await store.deliveries.createMany(id, conversation, [a])
    await store.deliveries.markFailed(id, a.targetKey, boom, false)
    const failed = await store.deliveries.get(id, a.targetKey)
    const again = await store.deliveries.createMany(id, conversation, [b, a])
    expect(again[1]).toEqual(failed)
    expect(again[1]).toMatchObject({ seq: first!.seq, attempts: 1, lastError: boom })
    expect(again[0]).toMatchObject({ targetKey: b.targetKey, seq: 1, state: 'pending' })
    expect(await store.deliveries.createMany(id, conversation, [a, b])).toEqual([failed, again[0]])
    const next = await store.deliveries.createMany(testMessage().id, conversation, [a])
    expect(next[0]!.seq).toBe(2)
  })

  test('seq counts per (targetKey, conversationKey), each pair on its own', async () => {
    const store = await ctx.open()
    const [t1, t2] = [target('one'), target('two')]
    const [convA, convB] = [unique('conv-a'), unique('conv-b')]
    const seqs = async (conversation: string, targets: DeliveryTarget[]) =>
      (await store.deliveries.createMany(testMessage().id, conversation, targets)).map((r) => r.seq)
    expect(await seqs(convA, [t1, t2])).toEqual([1, 1])
    expect(await seqs(convA, [t1])).toEqual([2])
    expect(await seqs(convB, [t1, t2])).toEqual([1, 1])
    expect(await seqs(convA, [t2, t1])).toEqual([2, 3])
    expect(await seqs(convB, [t2])).toEqual([2])
    expect(await seqs(convA, [target('three')])).toEqual([1])
  })

  test('markDelivered: true once (pending → delivered), then false; attempts count every attempt', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const t = target()
    await store.deliveries.createMany(id, unique('conv'), [t])
    await store.deliveries.markFailed(id, t.targetKey, boom, false)
    await store.deliveries.markFailed(id, t.targetKey, { code: 'TIMEOUT', message: '' }, false)
    expect(await store.deliveries.get(id, t.targetKey)).toMatchObject({
      state: 'pending',
      attempts: 2,
      lastError: { code: 'TIMEOUT', message: '' },
    })
    const at = Date.now() - 5
    expect(await store.deliveries.markDelivered(id, t.targetKey, { nativeId: '$native', at })).toBe(true)
    const delivered = await store.deliveries.get(id, t.targetKey)
    expect(delivered).toMatchObject({
      state: 'delivered',
      attempts: 3,
      nativeId: '$native',
      deliveredAt: at,
      lastError: null,
    })
    expect(await store.deliveries.markDelivered(id, t.targetKey, { nativeId: 'other', at: at + 1 })).toBe(
      false,
    )
    await store.deliveries.markFailed(id, t.targetKey, boom, true)
    await store.deliveries.markRefused(id, t.targetKey, boom)
    expect(await store.deliveries.revive(id, t.targetKey)).toBe(false)
    expect(await store.deliveries.get(id, t.targetKey)).toEqual(delivered)
    expect(await store.deliveries.markDelivered(id, unique('none'), { at })).toBe(false)

    const u = target('no-native-id')
    await store.deliveries.createMany(id, unique('conv'), [u])
    expect(await store.deliveries.markDelivered(id, u.targetKey, { at })).toBe(true)
    expect(await store.deliveries.get(id, u.targetKey)).toMatchObject({ nativeId: null, attempts: 1 })
  })

  test('markFailed dead → dead; revive → pending once; a dead delivery can still be marked delivered', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const [t, u] = [target('t'), target('u')]
    await store.deliveries.createMany(id, unique('conv'), [t, u])
    await store.deliveries.markFailed(id, t.targetKey, boom, true)
    const dead = await store.deliveries.get(id, t.targetKey)
    expect(dead).toMatchObject({ state: 'dead', attempts: 1, lastError: boom })
    await store.deliveries.markFailed(id, t.targetKey, { code: 'LATE', message: 'late' }, false)
    expect(await store.deliveries.get(id, t.targetKey)).toEqual(dead)
    expect(await store.deliveries.revive(id, t.targetKey)).toBe(true)
    expect(await store.deliveries.revive(id, t.targetKey)).toBe(false)
    expect(await store.deliveries.get(id, t.targetKey)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: boom,
    })
    expect(await store.deliveries.revive(id, u.targetKey)).toBe(false)

    await store.deliveries.markFailed(id, u.targetKey, boom, true)
    expect(await store.deliveries.markDelivered(id, u.targetKey, { at: Date.now() })).toBe(true)
    expect(await store.deliveries.get(id, u.targetKey)).toMatchObject({ state: 'delivered', attempts: 2 })
  })

  test('markRefused: pending → refused with the reason; then nothing moves it', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const t = target()
    await store.deliveries.createMany(id, unique('conv'), [t])
    const reason = { code: 'ACL_DENIED', message: 'sender not allowed' }
    await store.deliveries.markRefused(id, t.targetKey, reason)
    const refused = await store.deliveries.get(id, t.targetKey)
    expect(refused).toMatchObject({ state: 'refused', attempts: 0, lastError: reason })
    expect(await store.deliveries.markDelivered(id, t.targetKey, { at: Date.now() })).toBe(false)
    await store.deliveries.markFailed(id, t.targetKey, boom, true)
    expect(await store.deliveries.revive(id, t.targetKey)).toBe(false)
    expect(await store.deliveries.get(id, t.targetKey)).toEqual(refused)
  })

  test('countByState counts every delivery by state', async () => {
    const store = await ctx.open()
    const before = await store.deliveries.countByState()
    expect(Object.keys(before).sort()).toEqual(['dead', 'delivered', 'pending', 'refused'])
    const id = testMessage().id
    const ts = [target('1'), target('2'), target('3'), target('4'), target('5')]
    await store.deliveries.createMany(id, unique('conv'), ts)
    await store.deliveries.markDelivered(id, ts[0]!.targetKey, { at: Date.now() })
    await store.deliveries.markFailed(id, ts[1]!.targetKey, boom, true)
    await store.deliveries.markRefused(id, ts[2]!.targetKey, boom)
    await store.deliveries.markFailed(id, ts[3]!.targetKey, boom, false)
    const after = await store.deliveries.countByState()
    const delta = (s: DeliveryState) => after[s] - before[s]
    expect({
      pending: delta('pending'),
      delivered: delta('delivered'),
      dead: delta('dead'),
      refused: delta('refused'),
    }).toEqual({ pending: 2, delivered: 1, dead: 1, refused: 1 })
  })

  test('hasPendingBefore: whether a lower seq of the same (target, conversation) is still pending', async () => {
    const store = await ctx.open()
    const [t, other] = [target('t'), target('other')]
    const conversation = unique('conv')
    const ids = [testMessage().id, testMessage().id, testMessage().id]
    for (const id of ids) await store.deliveries.createMany(id, conversation, [t])
    await store.deliveries.createMany(testMessage().id, unique('conv-2'), [t])
    const before = (seq: number) => store.deliveries.hasPendingBefore(t.targetKey, conversation, seq)
    expect([await before(1), await before(2), await before(3)]).toEqual([false, true, true])
    await store.deliveries.markDelivered(ids[0]!, t.targetKey, { at: Date.now() })
    expect([await before(2), await before(3)]).toEqual([false, true])
    await store.deliveries.markFailed(ids[1]!, t.targetKey, boom, false)
    expect(await before(3)).toBe(true)
    await store.deliveries.markFailed(ids[1]!, t.targetKey, boom, true)
    expect(await before(3)).toBe(false)
    await store.deliveries.revive(ids[1]!, t.targetKey)
    expect(await before(3)).toBe(true)
    await store.deliveries.markRefused(ids[1]!, t.targetKey, boom)
    expect(await before(3)).toBe(false)
    expect(await before(100)).toBe(true)
    expect(await store.deliveries.hasPendingBefore(other.targetKey, conversation, 100)).toBe(false)
    expect(await store.deliveries.hasPendingBefore(t.targetKey, unique('conv-3'), 100)).toBe(false)
  })

  test('bad input is refused; error messages are kept as text with NUL and lone surrogates replaced', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const t = target()
    const conversation = unique('conv')
    await rejectsWith(store.deliveries.createMany(id, conversation, [t, { ...t }]), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.deliveries.createMany(id, '', [t]), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.deliveries.createMany('', conversation, [t]), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(
      store.deliveries.createMany(id, conversation, [{ ...t, linkId: '' }]),
      'STORE_INVALID_ARGUMENT',
    )
    expect(await store.deliveries.listByMessage(id)).toEqual([])

    await store.deliveries.createMany(id, conversation, [t])
    await rejectsWith(
      store.deliveries.markFailed(id, t.targetKey, { code: '', message: 'x' }, false),
      'STORE_INVALID_ARGUMENT',
    )
    await rejectsWith(
      store.deliveries.markFailed(id, t.targetKey, boom, 'yes' as never),
      'STORE_INVALID_ARGUMENT',
    )
    await rejectsWith(
      store.deliveries.markDelivered(id, t.targetKey, { at: Number.NaN }),
      'STORE_INVALID_ARGUMENT',
    )
    await rejectsWith(
      store.deliveries.hasPendingBefore(t.targetKey, conversation, 1.5),
      'STORE_INVALID_ARGUMENT',
    )
    expect(await store.deliveries.get(id, t.targetKey)).toMatchObject({ state: 'pending', attempts: 0 })

    await store.deliveries.markFailed(id, t.targetKey, { code: 'BAD', message: 'a\0b\uD800c 🏳️‍🌈' }, false)
    expect((await store.deliveries.get(id, t.targetKey))?.lastError).toEqual({
      code: 'BAD',
      message: 'a\uFFFDb\uFFFDc 🏳️‍🌈',
    })
  })
}
