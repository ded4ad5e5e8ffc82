import { randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import type { HeldPacketInput, HoldLimits } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, sharedStore, unique } from './support.ts'

const HOUR = 3_600_000
const ROOMY: HoldLimits = { maxPerSender: 1_000, maxBytesPerSender: 64 * 1024 * 1024 }

/** A packet for `recipient` from `sender` (fresh ones by default), live for an hour. */
function packet(overrides: Partial<HeldPacketInput> = {}): HeldPacketInput {
  return {
    id: unique('pkt'),
    recipient: unique('peer-r'),
    sender: unique('peer-s'),
    packet: Uint8Array.of(1, 2, 3),
    expiresAt: Date.now() + HOUR,
    ...overrides,
  }
}

/** The packet ids of a page. */
const ids = (page: { packets: { id: string }[] }): string[] => page.packets.map((p) => p.id)

/** Packets held for offline peers: bytes, order, paging, quota, duplicates, ack and expiry. */
export function heldConformance(ctx: ConformanceContext): void {
  test('put stores a packet; listFor returns it exactly, with its size and times', async () => {
    const store = await ctx.open()
    const input = packet({ packet: Uint8Array.of(0, 255, 0, 7, 0) })
    const before = Date.now()
    expect(await store.held.put(input, ROOMY)).toBe('stored')
    const page = await store.held.listFor(input.recipient, { limit: 10 })
    expect(page).toEqual({
      packets: [
        {
          id: input.id,
          recipient: input.recipient,
          sender: input.sender,
          packet: input.packet,
          size: 5,
          receivedAt: expect.any(Number),
          expiresAt: input.expiresAt,
        },
      ],
      more: false,
    })
    const [held] = page.packets
    expect(held!.packet.constructor).toBe(Uint8Array)
    expect(held!.receivedAt).toBeGreaterThanOrEqual(before)
    expect(held!.receivedAt).toBeLessThanOrEqual(Date.now())
    expect(await store.held.listFor(unique('peer-r'), { limit: 10 })).toEqual({ packets: [], more: false })
  })

  test('bytes survive exactly: every byte value, NULs, a 1 MiB packet, a subarray view', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const everyByte = Uint8Array.from({ length: 512 }, (_, i) => i % 256)
    const zeros = new Uint8Array(4096)
    const large = new Uint8Array(randomBytes(1024 * 1024))
    const backing = Uint8Array.of(9, 9, 0, 1, 0, 9, 9)
    const view = backing.subarray(2, 5)
    const inputs = [everyByte, zeros, large, view].map((bytes) => packet({ recipient, packet: bytes }))
    for (const input of inputs) expect(await store.held.put(input, ROOMY)).toBe('stored')
    const { packets } = await store.held.listFor(recipient, { limit: 10 })
    expect(packets.map((p) => p.size)).toEqual([512, 4096, 1024 * 1024, 3])
    for (const [i, held] of packets.entries()) {
      expect(Buffer.from(held.packet).equals(Buffer.from(inputs[i]!.packet))).toBe(true)
    }
    expect(packets[3]!.packet).toEqual(Uint8Array.of(0, 1, 0))
  })

  test('listFor: insertion order (not id order), pages after a cursor, only the recipient’s own', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    // One transaction: the packets share a millisecond, and their ids sort backwards.
    const inputs = Array.from({ length: 7 }, (_, i) => packet({ recipient, id: `${9 - i}-${unique('p')}` }))
    await store.transaction(async (tx) => {
      for (const input of inputs) expect(await tx.held.put(input, ROOMY)).toBe('stored')
    })
    await store.held.put(packet(), ROOMY) // another recipient's, in between the pages
    const all = inputs.map((p) => p.id)
    expect(ids(await store.held.listFor(recipient, { limit: 100 }))).toEqual(all)

    const first = await store.held.listFor(recipient, { limit: 3 })
    expect(first).toMatchObject({ more: true })
    expect(ids(first)).toEqual(all.slice(0, 3))
    const second = await store.held.listFor(recipient, { limit: 3, after: all[2]! })
    expect([ids(second), second.more]).toEqual([all.slice(3, 6), true])
    const last = await store.held.listFor(recipient, { limit: 3, after: all[5]! })
    expect([ids(last), last.more]).toEqual([all.slice(6), false])
    expect(await store.held.listFor(recipient, { limit: 3, after: all[6]! })).toEqual({
      packets: [],
      more: false,
    })
    const exact = await store.held.listFor(recipient, { limit: 7 })
    expect([ids(exact).length, exact.more]).toEqual([7, false])
  })

  test('an after cursor no longer held (or never) restarts from the first packet', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const inputs = Array.from({ length: 4 }, () => packet({ recipient }))
    for (const input of inputs) await store.held.put(input, ROOMY)
    const all = inputs.map((p) => p.id)
    expect(await store.held.ack(recipient, [all[1]!])).toBe(1)
    expect(ids(await store.held.listFor(recipient, { limit: 10, after: all[1]! }))).toEqual([
      all[0],
      all[2],
      all[3],
    ])
    const elsewhere = packet()
    await store.held.put(elsewhere, ROOMY)
    expect(ids(await store.held.listFor(recipient, { limit: 2, after: elsewhere.id }))).toEqual([
      all[0],
      all[2],
    ])
    expect(ids(await store.held.listFor(recipient, { limit: 10, after: unique('nope') }))).toHaveLength(3)
  })

  test('quota by count: a sender’s live packets per recipient, others unaffected', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const sender = unique('peer-s')
    const limits: HoldLimits = { maxPerSender: 3, maxBytesPerSender: 1_000_000 }
    const mine = Array.from({ length: 4 }, () => packet({ recipient, sender }))
    expect(await Promise.all(mine.slice(0, 3).map((p) => store.held.put(p, limits)))).toEqual([
      'stored',
      'stored',
      'stored',
    ])
    expect(await store.held.put(mine[3]!, limits)).toBe('quota')
    expect(await store.held.put(packet({ recipient }), limits)).toBe('stored') // another sender
    expect(await store.held.put(packet({ sender }), limits)).toBe('stored') // another recipient
    expect(await store.held.ack(recipient, [mine[0]!.id])).toBe(1)
    expect(await store.held.put(mine[3]!, limits)).toBe('stored')
    expect(ids(await store.held.listFor(recipient, { limit: 10 }))).toHaveLength(4)
  })

  test('quota by bytes: the new packet counts; one larger than the limit is refused', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const sender = unique('peer-s')
    const limits: HoldLimits = { maxPerSender: 100, maxBytesPerSender: 100 }
    const sized = (n: number) => packet({ recipient, sender, packet: new Uint8Array(n) })
    expect(await store.held.put(sized(101), limits)).toBe('quota')
    expect(await store.held.put(sized(60), limits)).toBe('stored')
    expect(await store.held.put(sized(41), limits)).toBe('quota')
    expect(await store.held.put(sized(40), limits)).toBe('stored')
    expect(await store.held.put(sized(1), limits)).toBe('quota')
    expect(await store.held.put(packet({ recipient, packet: new Uint8Array(100) }), limits)).toBe('stored')
  })

  test('concurrent puts from several handles never exceed the quota', async () => {
    const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open()])
    const recipient = unique('peer-r')
    const sender = unique('peer-s')
    const byCount: HoldLimits = { maxPerSender: 5, maxBytesPerSender: 1_000_000 }
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, (_, i) => stores[i % 3]!.held.put(packet({ recipient, sender }), byCount)),
    )
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(5)
    expect(outcomes.filter((o) => o === 'quota')).toHaveLength(19)

    const other = unique('peer-s')
    const byBytes: HoldLimits = { maxPerSender: 1000, maxBytesPerSender: 1000 }
    const sizes = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const input = packet({ recipient, sender: other, packet: new Uint8Array(100 + i) })
        return (await stores[i % 3]!.held.put(input, byBytes)) === 'stored' ? 100 + i : 0
      }),
    )
    const stored = sizes.reduce((a, b) => a + b, 0)
    expect(stored).toBeLessThanOrEqual(1000)
    expect(stored).toBeGreaterThan(1000 - 124) // no room left for even the largest one
    const held = (await stores[0]!.held.listFor(recipient, { limit: 100 })).packets
    expect(held.filter((p) => p.sender === sender)).toHaveLength(5)
    expect(held.filter((p) => p.sender === other).reduce((a, p) => a + p.size, 0)).toBe(stored)
  })

  test('concurrent puts inside transactions never exceed the quota either', async () => {
    // One handle: on SQLite, transactions of two handles in one process would wait on each other.
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const sender = unique('peer-s')
    const limits: HoldLimits = { maxPerSender: 3, maxBytesPerSender: 1_000_000 }
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.transaction(async (tx) => {
          // A write first, so that on PostgreSQL the put is not the transaction's first statement.
          if (i % 2 === 0) await tx.cursors.put(unique('cursor'), 'before the put')
          return tx.held.put(packet({ recipient, sender }), limits)
        }),
      ),
    )
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(3)
    expect(ids(await store.held.listFor(recipient, { limit: 100 }))).toHaveLength(3)
  })

  test('a duplicate id for the same recipient is refused and leaves the first as it was', async () => {
    const store = await ctx.open()
    const first = packet({ packet: Uint8Array.of(1) })
    expect(await store.held.put(first, ROOMY)).toBe('stored')
    const again = { ...first, sender: unique('peer-s'), packet: Uint8Array.of(2, 2) }
    expect(await store.held.put(again, ROOMY)).toBe('duplicate')
    expect(await store.held.put(first, { maxPerSender: 1, maxBytesPerSender: 1 })).toBe('duplicate')
    const { packets } = await store.held.listFor(first.recipient, { limit: 10 })
    expect(packets).toMatchObject([{ id: first.id, sender: first.sender, packet: Uint8Array.of(1) }])
    expect(await store.held.put({ ...first, recipient: unique('peer-r') }, ROOMY)).toBe('stored')

    const racing = packet()
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => store.held.put({ ...racing, sender: unique('peer-s') }, ROOMY)),
    )
    expect(outcomes.sort()).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'stored',
    ])
  })

  test('ack deletes only the recipient’s own packets with those ids', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const mine = Array.from({ length: 3 }, () => packet({ recipient }))
    for (const p of mine) await store.held.put(p, ROOMY)
    const theirs = packet({ id: mine[0]!.id })
    await store.held.put(theirs, ROOMY)
    expect(await store.held.ack(recipient, [mine[0]!.id, mine[2]!.id, unique('unknown')])).toBe(2)
    expect(ids(await store.held.listFor(recipient, { limit: 10 }))).toEqual([mine[1]!.id])
    expect(ids(await store.held.listFor(theirs.recipient, { limit: 10 }))).toEqual([theirs.id])
    expect(await store.held.ack(recipient, [mine[0]!.id])).toBe(0)
    expect(await store.held.ack(theirs.sender, [theirs.id])).toBe(0)
    expect(await store.held.ack(recipient, [])).toBe(0)
    const odd = packet({ recipient, id: `quote' "dq" {brace,comma} back\\slash é 🏳️‍🌈` })
    await store.held.put(odd, ROOMY)
    expect(await store.held.ack(recipient, [odd.id])).toBe(1)
  })

  test('expired packets are not listed, do not count, are replaced by a new put, and are deleted', async () => {
    const store = await ctx.open()
    const recipient = unique('peer-r')
    const sender = unique('peer-s')
    const limits: HoldLimits = { maxPerSender: 1, maxBytesPerSender: 1000 }
    const old = packet({ recipient, sender, expiresAt: Date.now() - 1 })
    expect(await store.held.put(old, limits)).toBe('stored')
    expect(await store.held.listFor(recipient, { limit: 10 })).toEqual({ packets: [], more: false })
    const live = packet({ recipient, sender })
    expect(await store.held.put(live, limits)).toBe('stored')
    expect(await store.held.put(packet({ recipient, sender }), limits)).toBe('quota')
    expect(ids(await store.held.listFor(recipient, { limit: 10 }))).toEqual([live.id])

    const stale = packet({ recipient, expiresAt: Date.now() - 1 })
    await store.held.put(stale, ROOMY)
    const fresh = { ...stale, packet: Uint8Array.of(42), expiresAt: Date.now() + HOUR }
    expect(await store.held.put(fresh, ROOMY)).toBe('stored')
    expect(ids(await store.held.listFor(recipient, { limit: 10 }))).toEqual([live.id, stale.id])

    const stats = await store.held.stats()
    expect(await store.held.deleteExpired()).toBeGreaterThanOrEqual(1)
    expect((await store.held.stats()).packets).toBeLessThanOrEqual(stats.packets - 1)
    expect(ids(await store.held.listFor(recipient, { limit: 10 }))).toEqual([live.id, stale.id])
    expect(await store.held.ack(recipient, [old.id])).toBe(0) // already gone
    expect(await store.held.deleteExpired(0)).toBe(0)
  })

  test('stats counts the packets and bytes held', async () => {
    const store = await ctx.open()
    const before = await store.held.stats()
    const a = packet({ packet: new Uint8Array(10) })
    const b = packet({ packet: new Uint8Array(32) })
    await store.held.put(a, ROOMY)
    await store.held.put(b, ROOMY)
    expect(await store.held.stats()).toEqual({ packets: before.packets + 2, bytes: before.bytes + 42 })
    await store.held.ack(a.recipient, [a.id])
    await store.held.ack(b.recipient, [b.id])
    expect(await store.held.stats()).toEqual(before)
  })

  test('a put inside a failed transaction is rolled back', async () => {
    const store = await ctx.open()
    const input = packet()
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.held.put(input, ROOMY)).toBe('stored')
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await store.held.listFor(input.recipient, { limit: 10 })).toEqual({ packets: [], more: false })
  })

  test('bad input is refused with STORE_INVALID_ARGUMENT', async () => {
    const store = await ctx.open()
    const ok = packet()
    const bad: unknown[] = [
      { ...ok, id: '' },
      { ...ok, recipient: 'a\0b' },
      { ...ok, sender: 7 },
      { ...ok, packet: new Uint8Array(0) },
      { ...ok, packet: 'bytes' },
      { ...ok, packet: [1, 2, 3] },
      { ...ok, expiresAt: undefined },
      { ...ok, expiresAt: 1.5 },
      { ...ok, expiresAt: Number.NaN },
      null,
    ]
    for (const input of bad)
      await rejectsWith(store.held.put(input as never, ROOMY), 'STORE_INVALID_ARGUMENT')
    for (const limits of [
      { maxPerSender: 0, maxBytesPerSender: 1 },
      { maxPerSender: 1, maxBytesPerSender: -1 },
    ]) {
      await rejectsWith(store.held.put(ok, limits), 'STORE_INVALID_ARGUMENT')
    }
    await rejectsWith(store.held.put(ok, { maxPerSender: 1.5 } as never), 'STORE_INVALID_ARGUMENT')
    for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
      await rejectsWith(store.held.listFor(ok.recipient, { limit }), 'STORE_INVALID_ARGUMENT')
    }
    await rejectsWith(store.held.listFor('', { limit: 1 }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.held.listFor(ok.recipient, { limit: 1, after: '' }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.held.ack(ok.recipient, 'id' as never), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.held.ack(ok.recipient, ['ok', '']), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.held.ack(ok.recipient, Array(1001).fill('x')), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.held.deleteExpired(Number.NaN), 'STORE_INVALID_ARGUMENT')
    expect(await store.held.listFor(ok.recipient, { limit: 1 })).toEqual({ packets: [], more: false })
  })

  describe('round trips', () => roundTrips(ctx))
}

/** The property on one handle shared by all runs. */
function roundTrips(ctx: ConformanceContext): void {
  const shared = sharedStore(ctx)

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.string({ minLength: 1 })])(
    'any bytes round-trip exactly, under any id',
    async (bytes, id) => {
      fc.pre(!id.includes('\0') && id.isWellFormed())
      const input = packet({ id, packet: bytes })
      expect(await shared().held.put(input, ROOMY)).toBe('stored')
      const { packets } = await shared().held.listFor(input.recipient, { limit: 2 })
      expect(packets).toHaveLength(1)
      expect(packets[0]!.id).toBe(id)
      expect(Buffer.from(packets[0]!.packet).equals(Buffer.from(bytes))).toBe(true)
    },
  )
}
