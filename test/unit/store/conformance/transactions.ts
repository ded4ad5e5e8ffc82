import { expect, test } from 'vitest'
import type { Repos } from '../../../../src/store/port.ts'
import { type ConformanceContext, latch, nextTurn, rejectsWith, testMessage, unique } from './support.ts'

/** Atomicity, isolation and the rules of `Store.transaction`. */
export function transactionConformance(ctx: ConformanceContext): void {
  test('commits every write together and returns what fn returns', async () => {
    const store = await ctx.open()
    const key = unique('tx-commit')
    const result = await store.transaction(async (tx) => {
      await tx.cursors.put(key, 'one')
      const token = await tx.tokens.create({ name: key, tokenHash: unique('hash'), scopes: ['send'] })
      await tx.dedupe.remember(key, 'm')
      return token
    })
    expect((await store.cursors.get(key))?.value).toBe('one')
    expect(await store.tokens.list()).toContainEqual(result)
    expect(await store.dedupe.has(key, 'm')).toBe(true)
  })

  test('rolls everything back when fn throws, and rethrows the same error', async () => {
    const store = await ctx.open()
    const key = unique('tx-rollback')
    const tokenHash = unique('hash')
    const boom = new Error('boom')
    const outcome = store.transaction(async (tx) => {
      await tx.cursors.put(key, 'never')
      await tx.tokens.create({ name: key, tokenHash, scopes: ['read'] })
      await tx.dedupe.remember(key, 'm')
      await nextTurn()
      throw boom
    })
    await expect(outcome).rejects.toBe(boom)
    expect(await store.cursors.get(key)).toBeUndefined()
    expect(await store.tokens.findByHash(tokenHash)).toBeUndefined()
    expect(await store.dedupe.has(key, 'm')).toBe(false)
  })

  test('the relay repos commit together, and roll back together when fn throws', async () => {
    const store = await ctx.open()
    const boom = new Error('boom')
    let linkId = ''
    const relayWrites = async (tx: Repos, message: ReturnType<typeof testMessage>) => {
      const endpoint = {
        network: 'matrix',
        address: unique('!room'),
        direction: 'both' as const,
        options: {},
      }
      linkId = (await tx.links.create({ name: 'tx', endpoints: [endpoint] })).id
      expect(await tx.messages.insert(message, 'api')).toBe(true)
      await tx.messages.markRouted(message.id)
      const target = { targetKey: 't', linkId, network: 'matrix', address: endpoint.address }
      const [row] = await tx.deliveries.createMany(message.id, 'conv', [target])
      expect(await tx.deliveries.markDelivered(message.id, 't', { at: 1 })).toBe(true)
      const trace = { messageId: message.id, targetKey: 't', stage: 'deliver' as const, attempt: 1 }
      await tx.traces.append({ ...trace, startedAt: 1, durationMs: 1, outcome: 'ok', error: null })
      expect(await tx.links.findByEndpoint('matrix', endpoint.address)).toHaveLength(1)
      return row
    }

    const kept = testMessage()
    const row = await store.transaction((tx) => relayWrites(tx, kept))
    expect(row).toMatchObject({ messageId: kept.id, state: 'pending' })
    expect(await store.links.get(linkId)).toBeDefined()
    expect((await store.messages.get(kept.id))?.state).toBe('routed')
    expect((await store.deliveries.get(kept.id, 't'))?.state).toBe('delivered')
    expect(await store.traces.listByMessage(kept.id)).toHaveLength(1)

    const lost = testMessage()
    const outcome = store.transaction(async (tx) => {
      await relayWrites(tx, lost)
      await nextTurn()
      throw boom
    })
    await expect(outcome).rejects.toBe(boom)
    expect(await store.links.get(linkId)).toBeUndefined()
    expect(await store.messages.get(lost.id)).toBeUndefined()
    expect(await store.deliveries.listByMessage(lost.id)).toEqual([])
    expect(await store.traces.listByMessage(lost.id)).toEqual([])
    expect(await store.messages.insert(lost, 'api')).toBe(true)
  })

  test('reads inside the transaction see its own writes', async () => {
    const store = await ctx.open()
    const key = unique('tx-read')
    await store.transaction(async (tx) => {
      await tx.cursors.put(key, 'a')
      expect(await tx.cursors.get(key)).toMatchObject({ value: 'a', version: 1 })
      expect(await tx.dedupe.remember(key, 'm')).toBe(true)
      expect(await tx.dedupe.remember(key, 'm')).toBe(false)
    })
  })

  test('50 concurrent read-modify-write transactions end at exactly 50', async () => {
    const store = await ctx.open()
    const key = unique('counter')
    const increment = (tx: Repos) => async () => {
      const current = await tx.cursors.get(key)
      await nextTurn()
      await tx.cursors.put(key, String(Number(current?.value ?? '0') + 1), current?.version ?? 0)
    }
    await Promise.all(Array.from({ length: 50 }, () => store.transaction((tx) => increment(tx)())))
    expect(await store.cursors.get(key)).toMatchObject({ value: '50', version: 50 })
  })

  test('calls outside the transaction neither join it nor see its uncommitted writes', async () => {
    const store = await ctx.open()
    const inside = unique('tx-inside')
    const outside = unique('tx-outside')
    const started = latch()
    const hold = latch()
    const boom = new Error('rolled back')
    const tx = store.transaction(async (repos) => {
      await repos.cursors.put(inside, 'uncommitted')
      started.release()
      await hold.promise
      throw boom
    })
    await started.promise
    const outsideWrite = store.cursors.put(outside, 'independent')
    const outsideRead = store.cursors.get(inside)
    await nextTurn()
    hold.release()
    await expect(tx).rejects.toBe(boom)
    expect(await outsideWrite).toBe(1)
    expect(await outsideRead).toBeUndefined()
    expect((await store.cursors.get(outside))?.value).toBe('independent')
    expect(await store.cursors.get(inside)).toBeUndefined()
  })

  test('a failed call aborts the transaction even when fn catches it', async () => {
    const store = await ctx.open()
    const key = unique('tx-abort')
    const outcome = store.transaction(async (tx) => {
      await tx.cursors.put(key, 'a', 0)
      await tx.cursors.put(key, 'b', 0).catch(() => undefined)
      await rejectsWith(tx.cursors.get(key), 'STORE_TX_ABORTED')
      return 'fn returned normally'
    })
    const err = await rejectsWith(outcome, 'STORE_TX_ABORTED')
    expect(err.retryable).toBe(true)
    expect(await store.cursors.get(key)).toBeUndefined()
  })

  test('a conflict inside fn propagates as STORE_CONFLICT and rolls back', async () => {
    const store = await ctx.open()
    const key = unique('tx-conflict')
    await store.cursors.put(key, 'a')
    const other = unique('tx-other')
    const outcome = store.transaction(async (tx) => {
      await tx.cursors.put(other, 'x')
      await tx.cursors.put(key, 'b', 7)
    })
    const err = await rejectsWith(outcome, 'STORE_CONFLICT')
    expect(err.retryable).toBe(true)
    expect(await store.cursors.get(other)).toBeUndefined()
  })

  test('using the store itself inside fn throws STORE_TX_MISUSE', async () => {
    const store = await ctx.open()
    const key = unique('tx-misuse')
    await rejectsWith(
      store.transaction(async (tx) => {
        await tx.cursors.put(key, 'x')
        await store.cursors.get(key)
      }),
      'STORE_TX_MISUSE',
    )
    await rejectsWith(
      store.transaction(async () => store.transaction(async () => 1)),
      'STORE_TX_MISUSE',
    )
    expect(await store.cursors.get(key)).toBeUndefined()
  })

  test('a tx used after fn settled throws STORE_TX_MISUSE', async () => {
    const store = await ctx.open()
    let leaked: Repos | undefined
    await store.transaction(async (tx) => {
      leaked = tx
    })
    await rejectsWith(leaked!.cursors.get(unique('late')), 'STORE_TX_MISUSE')
  })
}
