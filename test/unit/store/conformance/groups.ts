import { randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import type { GroupSaveInput } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, sharedStore, unique } from './support.ts'

/** A fresh group id: 32 random bytes, lower-case hex. */
const groupId = (): string => randomBytes(32).toString('hex')

/** A group to create (expectedEpoch null) at epoch 0. */
function group(overrides: Partial<GroupSaveInput> = {}): GroupSaveInput {
  return {
    groupId: groupId(),
    topic: unique('/mainframe/group'),
    state: Uint8Array.of(0, 1, 2, 0),
    epoch: 0,
    role: 'member',
    expectedEpoch: null,
    ...overrides,
  }
}

/** MLS group states: round trips, compare-and-set on the epoch, delete. */
export function groupConformance(ctx: ConformanceContext): void {
  test('save creates a group; get and list return it exactly', async () => {
    const store = await ctx.open()
    const input = group({ role: 'orderer', epoch: 3 })
    const before = Date.now()
    const saved = await store.groups.save(input)
    const { expectedEpoch: _, ...rest } = input
    expect(saved).toEqual({ ...rest, updatedAt: expect.any(Number) })
    expect(saved.updatedAt).toBeGreaterThanOrEqual(before)
    expect(saved.state.constructor).toBe(Uint8Array)
    expect(await store.groups.get(input.groupId)).toEqual(saved)
    expect((await store.groups.list()).find((g) => g.groupId === input.groupId)).toEqual(saved)
    expect(await store.groups.get(groupId())).toBeUndefined()
  })

  test('list is ordered by groupId', async () => {
    const store = await ctx.open()
    const ours = new Set<string>()
    for (let i = 0; i < 5; i++) ours.add((await store.groups.save(group())).groupId)
    const listed = (await store.groups.list()).map((g) => g.groupId).filter((id) => ours.has(id))
    expect(listed).toEqual([...ours].sort())
  })

  test('save over the stored epoch succeeds; a stale or absent one is STORE_CONFLICT', async () => {
    const store = await ctx.open()
    const first = await store.groups.save(group())
    const next = { ...first, state: Uint8Array.of(7), epoch: 1, role: 'orderer' as const, expectedEpoch: 0 }
    const saved = await store.groups.save(next)
    expect(saved).toMatchObject({ epoch: 1, role: 'orderer', state: Uint8Array.of(7) })
    const same = await store.groups.save({ ...next, state: Uint8Array.of(8), expectedEpoch: 1 })
    expect(same).toMatchObject({ epoch: 1, state: Uint8Array.of(8) })

    const stale = await rejectsWith(
      store.groups.save({ ...next, epoch: 2, expectedEpoch: 0 }),
      'STORE_CONFLICT',
    )
    expect(stale.retryable).toBe(true)
    expect(stale.shortMessage).toContain('is at epoch 1, expected epoch 0')
    await rejectsWith(store.groups.save({ ...next, expectedEpoch: null }), 'STORE_CONFLICT')
    const absent = await rejectsWith(
      store.groups.save(group({ epoch: 5, expectedEpoch: 4 })),
      'STORE_CONFLICT',
    )
    expect(absent.shortMessage).toContain('does not exist')
    expect(await store.groups.get(first.groupId)).toMatchObject({ epoch: 1, state: Uint8Array.of(8) })
  })

  test('of concurrent saves over one epoch, exactly one wins', async () => {
    const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open()])
    const created = await stores[0]!.groups.save(group({ epoch: 4 }))
    const outcomes = await Promise.allSettled(
      Array.from({ length: 9 }, (_, i) =>
        stores[i % 3]!.groups.save({ ...created, state: Uint8Array.of(i), epoch: 5, expectedEpoch: 4 }),
      ),
    )
    const won = outcomes.filter((o) => o.status === 'fulfilled')
    expect(won).toHaveLength(1)
    const lost = outcomes.filter((o) => o.status === 'rejected')
    for (const o of lost) expect((o.reason as { code?: string }).code).toBe('STORE_CONFLICT')
    expect(await stores[1]!.groups.get(created.groupId)).toEqual(won[0]!.value)

    const fresh = group()
    const creators = await Promise.allSettled(stores.map((s) => s.groups.save(fresh)))
    expect(creators.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
  })

  test('delete is true once; a deleted group can be created again', async () => {
    const store = await ctx.open()
    const input = group()
    await store.groups.save(input)
    expect(await store.groups.delete(input.groupId)).toBe(true)
    expect(await store.groups.delete(input.groupId)).toBe(false)
    expect(await store.groups.get(input.groupId)).toBeUndefined()
    await rejectsWith(store.groups.save({ ...input, expectedEpoch: 0 }), 'STORE_CONFLICT')
    expect(await store.groups.save(input)).toMatchObject({ groupId: input.groupId, epoch: 0 })
  })

  test('a large state survives exactly, and a save in a failed transaction is rolled back', async () => {
    const store = await ctx.open()
    const state = new Uint8Array(randomBytes(1024 * 1024))
    state[0] = 0
    const saved = await store.groups.save(group({ state }))
    expect(Buffer.from((await store.groups.get(saved.groupId))!.state).equals(state)).toBe(true)
    await expect(
      store.transaction(async (tx) => {
        await tx.groups.save({ ...saved, state: Uint8Array.of(1), epoch: 1, expectedEpoch: 0 })
        throw new Error('abandon')
      }),
    ).rejects.toThrow('abandon')
    expect((await store.groups.get(saved.groupId))!.epoch).toBe(0)
  })

  test('bad input is refused with STORE_INVALID_ARGUMENT', async () => {
    const store = await ctx.open()
    const ok = group()
    const bad: unknown[] = [
      { ...ok, groupId: '' },
      { ...ok, groupId: 'ABCD' },
      { ...ok, groupId: 'abc' },
      { ...ok, groupId: 'zz' },
      { ...ok, groupId: 'ab'.repeat(257) },
      { ...ok, topic: '' },
      { ...ok, state: new Uint8Array(0) },
      { ...ok, state: 'state' },
      { ...ok, epoch: -1 },
      { ...ok, epoch: 1.5 },
      { ...ok, role: 'admin' },
      { ...ok, expectedEpoch: undefined },
      { ...ok, expectedEpoch: -1 },
      { ...ok, epoch: 2, expectedEpoch: 3 },
      'group',
    ]
    for (const input of bad) await rejectsWith(store.groups.save(input as never), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.groups.get('XY'), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.groups.delete(''), 'STORE_INVALID_ARGUMENT')
    expect(await store.groups.get(ok.groupId)).toBeUndefined()
  })

  describe('round trips', () => roundTrips(ctx))
}

/** The property on one handle shared by all runs. */
function roundTrips(ctx: ConformanceContext): void {
  const shared = sharedStore(ctx)

  test.prop([
    fc.uint8Array({ minLength: 1, maxLength: 4096 }),
    fc.uint8Array({ minLength: 1, maxLength: 256 }),
    fc.nat(),
  ])('any state bytes, group id and epoch round-trip exactly', async (state, id, epoch) => {
    const input = group({ groupId: Buffer.from(id).toString('hex'), state, epoch })
    fc.pre((await shared().groups.get(input.groupId)) === undefined)
    await shared().groups.save(input)
    const got = await shared().groups.get(input.groupId)
    expect(got).toMatchObject({ groupId: input.groupId, epoch })
    expect(Buffer.from(got!.state).equals(Buffer.from(state))).toBe(true)
  })
}
