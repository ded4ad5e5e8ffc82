import { randomBytes } from 'node:crypto'
import { expect, test } from 'vitest'
import type { BridgeIdentityInput } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, unique } from './support.ts'

/** A fresh identity as the node would store it (the store does not look inside the bytes). */
function identity(overrides: Partial<BridgeIdentityInput> = {}): BridgeIdentityInput {
  return {
    peerId: unique('12D3KooW'),
    subject: unique('matrix:@alice:example.org'),
    publicKey: new Uint8Array(randomBytes(32)),
    sealedSeed: new Uint8Array(randomBytes(72)),
    ...overrides,
  }
}

/** Bridge identities: create once per subject, lookups, pages, announcement bookkeeping. */
export function identityConformance(ctx: ConformanceContext): void {
  test('create stores an identity; both lookups return it exactly', async () => {
    const store = await ctx.open()
    const input = identity()
    const before = Date.now()
    const made = await store.identities.create(input)
    expect(made).toEqual({ ...input, createdAt: expect.any(Number), announcedAt: null })
    expect(made.createdAt).toBeGreaterThanOrEqual(before)
    expect(made.publicKey.constructor).toBe(Uint8Array)
    expect(await store.identities.bySubject(input.subject)).toEqual(made)
    expect(await store.identities.byPeerId(input.peerId)).toEqual(made)
    expect(await store.identities.bySubject(unique('nobody'))).toBeUndefined()
    expect(await store.identities.byPeerId(unique('12D3KooW'))).toBeUndefined()
  })

  test('a subject keeps its first identity, also when processes race to create it', async () => {
    const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open()])
    const subject = unique('email:bob@example.org')
    const made = await Promise.all(stores.map((s) => s.identities.create(identity({ subject }))))
    const peers = new Set(made.map((m) => m.peerId))
    expect(peers.size).toBe(1)
    expect(await stores[0]!.identities.bySubject(subject)).toEqual(made[0])
  })

  test('a peer id taken by another subject is STORE_CONFLICT', async () => {
    const store = await ctx.open()
    const first = await store.identities.create(identity())
    await rejectsWith(store.identities.create(identity({ peerId: first.peerId })), 'STORE_CONFLICT')
  })

  test('list pages by peer id; count counts', async () => {
    const store = await ctx.open()
    const before = await store.identities.count()
    const prefix = unique('12D3KooWpage')
    for (const n of [3, 1, 2]) await store.identities.create(identity({ peerId: `${prefix}-${n}` }))
    expect(await store.identities.count()).toBe(before + 3)
    const page = await store.identities.list({ limit: 2, after: prefix })
    expect(page.map((i) => i.peerId)).toEqual([`${prefix}-1`, `${prefix}-2`])
    const next = await store.identities.list({ limit: 1, after: `${prefix}-2` })
    expect(next.map((i) => i.peerId)).toEqual([`${prefix}-3`])
  })

  test('due for announce: never announced first, then the oldest; markAnnounced moves one on', async () => {
    const store = await ctx.open()
    const a = await store.identities.create(identity())
    const b = await store.identities.create(identity())
    expect(await store.identities.markAnnounced(a.peerId, 1_000)).toBe(true)
    expect(await store.identities.markAnnounced(unique('12D3KooW'), 1_000)).toBe(false)
    expect((await store.identities.byPeerId(a.peerId))?.announcedAt).toBe(1_000)
    // Other tests share the table: look at where ours fall in the whole due list.
    const due = (await store.identities.dueForAnnounce(2_000, 1000)).map((i) => i.peerId)
    expect(due).toContain(a.peerId)
    expect(due).toContain(b.peerId)
    expect(due.indexOf(b.peerId)).toBeLessThan(due.indexOf(a.peerId))
    expect(await store.identities.markAnnounced(a.peerId, 3_000)).toBe(true)
    const later = (await store.identities.dueForAnnounce(2_000, 1000)).map((i) => i.peerId)
    expect(later).not.toContain(a.peerId)
  })

  test('bad input is STORE_INVALID_ARGUMENT and stores nothing', async () => {
    const store = await ctx.open()
    const input = identity()
    await rejectsWith(
      store.identities.create({ ...input, publicKey: new Uint8Array(31) }),
      'STORE_INVALID_ARGUMENT',
    )
    await rejectsWith(
      store.identities.create({ ...input, sealedSeed: new Uint8Array(0) }),
      'STORE_INVALID_ARGUMENT',
    )
    await rejectsWith(store.identities.create({ ...input, subject: '' }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.identities.list({ limit: 0 }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.identities.dueForAnnounce(0, 10), 'STORE_INVALID_ARGUMENT')
    expect(await store.identities.bySubject(input.subject)).toBeUndefined()
  })
}
