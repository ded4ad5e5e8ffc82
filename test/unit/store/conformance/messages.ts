import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import type { BridgeMessage } from '../../../../src/core/message.ts'
import type { Store } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, sleep, testMessage, unique } from './support.ts'

/** The message repo: ingest's dedupe, routing state and the recovery sweep. */
export function messageConformance(ctx: ConformanceContext): void {
  test('insert is true once; get returns the exact message, its source and state', async () => {
    const store = await ctx.open()
    const message = testMessage('héllo 🏳️‍🌈')
    const before = Date.now()
    expect(await store.messages.insert(message, 'api')).toBe(true)
    const stored = await store.messages.get(message.id)
    expect(stored).toEqual({
      message,
      source: 'api',
      state: 'ingested',
      receivedAt: expect.any(Number),
      routedAt: null,
    })
    expect(stored!.message).toStrictEqual(message)
    expect(stored!.receivedAt).toBeGreaterThanOrEqual(before)
    expect(await store.messages.get(testMessage().id)).toBeUndefined()
  })

  test('a second insert of the same id is false and changes nothing', async () => {
    const store = await ctx.open()
    const message = testMessage('first')
    expect(await store.messages.insert(message, 'matrix')).toBe(true)
    const stored = await store.messages.get(message.id)
    const altered: BridgeMessage = { ...message, body: { text: 'second' } }
    expect(await store.messages.insert(altered, 'webhook')).toBe(false)
    expect(await store.messages.insert(message, 'matrix')).toBe(false)
    expect(await store.messages.get(message.id)).toEqual(stored)
  })

  test('markRouted moves ingested → routed once; unknown ids are a no-op', async () => {
    const store = await ctx.open()
    const message = testMessage()
    await store.messages.insert(message, 'api')
    const { receivedAt } = (await store.messages.get(message.id))!
    await store.messages.markRouted(message.id)
    const routed = await store.messages.get(message.id)
    expect(routed).toMatchObject({ state: 'routed', receivedAt })
    expect(routed!.routedAt).toBeGreaterThanOrEqual(receivedAt)
    await sleep(2)
    await store.messages.markRouted(message.id)
    expect(await store.messages.get(message.id)).toEqual(routed)
    await expect(store.messages.markRouted(testMessage().id)).resolves.toBeUndefined()
  })

  test('listIngested: still-ingested ids up to olderThan, oldest first, at most limit', async () => {
    const store = await ctx.open()
    // Inserted in one transaction, so several share a millisecond: order must not come from the id.
    const early = Array.from({ length: 8 }, () => testMessage())
    await store.transaction(async (tx) => {
      for (const m of early) await tx.messages.insert(m, 'api')
    })
    await sleep(3)
    const cutoff = Date.now()
    await sleep(3)
    const late = testMessage()
    await store.messages.insert(late, 'api')
    const ours = new Set([...early, late].map((m) => m.id))

    const upToCutoff = await store.messages.listIngested(cutoff, 1_000_000)
    expect(upToCutoff.filter((id) => ours.has(id))).toEqual(early.map((m) => m.id))
    const all = await store.messages.listIngested(Date.now(), 1_000_000)
    expect(all.filter((id) => ours.has(id))).toEqual([...early, late].map((m) => m.id))
    expect(await store.messages.listIngested(Date.now(), 2)).toEqual(all.slice(0, 2))

    await store.messages.markRouted(early[1]!.id)
    const after = await store.messages.listIngested(Date.now(), 1_000_000)
    expect(after.filter((id) => ours.has(id))).toEqual(
      [...early, late].filter((_, i) => i !== 1).map((m) => m.id),
    )
    expect(await store.messages.listIngested(0, 10)).toEqual([])
  })

  test('countIngested counts the messages not yet routed', async () => {
    const store = await ctx.open()
    const before = await store.messages.countIngested()
    const messages = Array.from({ length: 3 }, () => testMessage())
    for (const m of messages) await store.messages.insert(m, 'api')
    expect(await store.messages.countIngested()).toBe(before + 3)
    await store.messages.markRouted(messages[0]!.id)
    await store.messages.markRouted(messages[0]!.id)
    expect(await store.messages.countIngested()).toBe(before + 2)
  })

  test('bad input is refused with STORE_INVALID_ARGUMENT', async () => {
    const store = await ctx.open()
    const message = testMessage()
    await rejectsWith(store.messages.insert(message, ''), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.messages.insert({ ...message, id: '' }, 'api'), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.messages.insert(null as never, 'api'), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.messages.get(''), 'STORE_INVALID_ARGUMENT')
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(store.messages.listIngested(Date.now(), limit), 'STORE_INVALID_ARGUMENT')
    }
    await rejectsWith(store.messages.listIngested(Number.NaN, 10), 'STORE_INVALID_ARGUMENT')
    expect(await store.messages.get(message.id)).toBeUndefined()
  })

  describe('round trips', () => roundTrips(ctx))
}

/** Any UTF-16 code unit: NUL and lone surrogates included. */
const codeUnit = fc.nat(0xffff).map((c) => String.fromCharCode(c))
const unicodeText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: codeUnit }),
  fc.constantFrom('', '\0', '\uD800', 'a\uDC00b', '🏳️‍🌈', '\u2028\u2029', '"\\/\b\f\n\r\t'),
)

/** JSON cannot write -0 (JSON.stringify(-0) is '0'), the one JSON.parse value it cannot keep. */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0
  if (Array.isArray(value)) return value.map(withoutNegativeZero)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]))
  }
  return value
}
const options = fc
  .dictionary(fc.oneof(fc.string(), unicodeText), fc.jsonValue())
  .map((o) => withoutNegativeZero(o) as Record<string, unknown>)

/** The property on one handle shared by all runs. */
function roundTrips(ctx: ConformanceContext): void {
  let store: Store
  beforeAll(async () => {
    store = await ctx.factory()
    await store.migrate()
  })
  afterAll(async () => {
    await store.close()
  })

  test.prop([options, unicodeText, fc.option(unicodeText, { nil: undefined })])(
    'endpoint options (any JSON) and message bodies (any unicode text) round-trip exactly',
    async (opts, text, html) => {
      const address = unique('!room:example.com')
      const link = await store.links.create({
        name: 'prop',
        endpoints: [{ network: 'matrix', address, direction: 'both', options: opts }],
      })
      expect(link.endpoints[0]!.options).toEqual(opts)
      expect((await store.links.get(link.id))!.endpoints[0]!.options).toEqual(opts)
      expect((await store.links.findByEndpoint('matrix', address))[0]!.endpoints[0]!.options).toEqual(opts)

      const message = testMessage()
      message.body = html === undefined ? { text } : { text, html }
      expect(await store.messages.insert(message, 'prop')).toBe(true)
      const stored = await store.messages.get(message.id)
      expect(stored!.message).toStrictEqual(message)
      expect(stored!.message.body.text === text).toBe(true)
    },
  )
}
