import { expect, test } from 'vitest'
import type { LinkEndpoint, Store } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, sleep, unique } from './support.ts'

/** Two endpoints on fresh addresses: a Matrix room (both ways) and a webhook (out only). */
function endpoints(): LinkEndpoint[] {
  return [
    { network: 'matrix', address: unique('!room:example.com'), direction: 'both', options: {} },
    {
      network: 'webhook',
      address: unique('https://example.com/hook'),
      direction: 'out',
      options: { secretRef: 'env:HOOK', retries: 3, headers: { 'x-a': ['1', '2'] }, tls: null, on: true },
    },
  ]
}

async function namedLinks(store: Store, name: string) {
  return (await store.links.list()).filter((l) => l.name === name)
}

/** The link repo: CRUD, the routing lookup, and what it refuses. */
export function linkConformance(ctx: ConformanceContext): void {
  test('create returns the stored link with a random id and defaults; get returns it equal', async () => {
    const store = await ctx.open()
    const before = Date.now()
    const eps = endpoints()
    const link = await store.links.create({ name: 'community', endpoints: eps })
    expect(link).toEqual({
      id: expect.stringMatching(/^l[0-9a-f]{20}$/),
      name: 'community',
      endpoints: eps,
      acl: { allowSenders: null },
      rateLimitPerMinute: null,
      createdAt: expect.any(Number),
      updatedAt: link.createdAt,
    })
    expect(link.createdAt).toBeGreaterThanOrEqual(before)
    expect(await store.links.get(link.id)).toEqual(link)
    expect(await store.links.get(unique('l'))).toBeUndefined()
    const other = await store.links.create({ name: 'community', endpoints: endpoints() })
    expect(other.id).not.toBe(link.id)
  })

  test('endpoints keep their order, directions and nested options; the acl and rate limit round-trip', async () => {
    const store = await ctx.open()
    const eps: LinkEndpoint[] = [
      {
        network: 'mf',
        address: unique('group'),
        direction: 'in',
        options: { epoch: 0, list: [1, 'a', null] },
      },
      ...endpoints(),
    ]
    const acl = { allowSenders: ['matrix:@*:example.com', 'mailto:bob@example.com'] }
    const link = await store.links.create({ name: 'acl', endpoints: eps, acl, rateLimitPerMinute: 30 })
    const got = await store.links.get(link.id)
    expect(got?.endpoints).toEqual(eps)
    expect(got?.acl).toEqual(acl)
    expect(got?.rateLimitPerMinute).toBe(30)
    expect(got).toEqual(link)
    const empty = await store.links.create({
      name: 'nobody',
      endpoints: endpoints(),
      acl: { allowSenders: [] },
    })
    expect((await store.links.get(empty.id))?.acl).toEqual({ allowSenders: [] })
  })

  test('options keys holding undefined are dropped and -0 comes back as 0, as JSON does', async () => {
    const store = await ctx.open()
    const [first] = endpoints()
    const link = await store.links.create({
      name: 'json',
      endpoints: [{ ...first!, options: { gone: undefined, zero: -0, kept: 'yes' } }],
    })
    const stored = (await store.links.get(link.id))?.endpoints[0]?.options
    expect(stored).toStrictEqual({ zero: 0, kept: 'yes' })
    expect(Object.is(stored?.zero, 0)).toBe(true)
    expect(link.endpoints[0]?.options).toStrictEqual(stored)
  })

  test('list holds every link, oldest first', async () => {
    const store = await ctx.open()
    const name = unique('listed')
    // Created in one transaction, so several share a millisecond: order must not come from the id.
    const created = await store.transaction(async (tx) => {
      const links = []
      for (let i = 0; i < 8; i++) links.push(await tx.links.create({ name, endpoints: endpoints() }))
      return links
    })
    await sleep(2)
    created.push(await store.links.create({ name, endpoints: endpoints() }))
    expect(await namedLinks(store, name)).toEqual(created)
  })

  test('findByEndpoint matches (network, address) exactly and returns every link of it, whole', async () => {
    const store = await ctx.open()
    const room = unique('!room:example.com')
    const shared: LinkEndpoint = { network: 'matrix', address: room, direction: 'both', options: { n: 1 } }
    const a = await store.links.create({ name: 'a', endpoints: [shared, ...endpoints()] })
    const b = await store.links.create({
      name: 'b',
      endpoints: [endpoints()[1]!, { ...shared, direction: 'in' }],
    })
    const upper = await store.links.create({
      name: 'c',
      endpoints: [
        { ...shared, address: room.toUpperCase() },
        { ...shared, network: 'matrix2' },
      ],
    })
    expect(await store.links.findByEndpoint('matrix', room)).toEqual([a, b])
    expect(await store.links.findByEndpoint('matrix', room.toUpperCase())).toEqual([upper])
    expect(await store.links.findByEndpoint('matrix2', room)).toEqual([upper])
    expect(await store.links.findByEndpoint('webhook', room)).toEqual([])
    expect(await store.links.findByEndpoint('matrix', room.slice(0, -1))).toEqual([])
    expect(await store.links.findByEndpoint('matrix', `${room} `)).toEqual([])
    expect(await store.links.findByEndpoint('Matrix', room)).toEqual([])
  })

  test('update replaces the fields given, endpoints as a whole, and leaves the rest', async () => {
    const store = await ctx.open()
    const eps = endpoints()
    const link = await store.links.create({ name: 'before', endpoints: eps, rateLimitPerMinute: 10 })
    await sleep(2)
    const renamed = await store.links.update(link.id, { name: 'after' })
    expect(renamed).toEqual({ ...link, name: 'after', updatedAt: expect.any(Number) })
    expect(renamed!.updatedAt).toBeGreaterThan(link.updatedAt)
    expect(await store.links.get(link.id)).toEqual(renamed)

    const next = endpoints()
    const moved = await store.links.update(link.id, {
      endpoints: next,
      acl: { allowSenders: ['mf:*'] },
      rateLimitPerMinute: null,
    })
    expect(moved).toMatchObject({
      name: 'after',
      endpoints: next,
      acl: { allowSenders: ['mf:*'] },
      rateLimitPerMinute: null,
    })
    expect(await store.links.get(link.id)).toEqual(moved)
    for (const old of eps) expect(await store.links.findByEndpoint(old.network, old.address)).toEqual([])
    for (const now of next)
      expect(await store.links.findByEndpoint(now.network, now.address)).toEqual([moved])

    const same = await store.links.update(link.id, {})
    expect(same).toEqual({ ...moved, updatedAt: expect.any(Number) })
    const cleared = await store.links.update(link.id, { acl: { allowSenders: null } })
    expect(cleared?.acl).toEqual({ allowSenders: null })
    expect(await store.links.update(unique('l'), { name: 'x' })).toBeUndefined()
  })

  test('delete removes the link and its endpoints; true once, then false', async () => {
    const store = await ctx.open()
    const eps = endpoints()
    const link = await store.links.create({ name: 'doomed', endpoints: eps })
    expect(await store.links.delete(link.id)).toBe(true)
    expect(await store.links.delete(link.id)).toBe(false)
    expect(await store.links.get(link.id)).toBeUndefined()
    expect((await store.links.list()).map((l) => l.id)).not.toContain(link.id)
    for (const e of eps) expect(await store.links.findByEndpoint(e.network, e.address)).toEqual([])
    const again = await store.links.create({ name: 'reborn', endpoints: eps })
    expect(await store.links.findByEndpoint(eps[0]!.network, eps[0]!.address)).toEqual([again])
  })

  test('bad input is refused with STORE_INVALID_ARGUMENT and stores nothing', async () => {
    const store = await ctx.open()
    const name = unique('refused')
    const [ep] = endpoints()
    const bad: unknown[] = [
      { name: '', endpoints: [ep] },
      { name, endpoints: [] },
      { name, endpoints: [ep, { ...ep, direction: 'in' }] },
      { name, endpoints: [{ ...ep, direction: 'sideways' }] },
      { name, endpoints: [{ ...ep, network: '' }] },
      { name, endpoints: [{ ...ep, address: 'a\0b' }] },
      { name, endpoints: [{ ...ep, options: [] }] },
      { name, endpoints: [{ ...ep, options: { when: new Date() } }] },
      { name, endpoints: [{ ...ep, options: { f: () => 1 } }] },
      { name, endpoints: [{ ...ep, options: { n: Number.NaN } }] },
      { name, endpoints: [{ ...ep, options: { list: [1, undefined] } }] },
      { name, endpoints: [{ ...ep, options: { big: 1n } }] },
      { name, endpoints: [ep], acl: { allowSenders: [''] } },
      { name, endpoints: [ep], acl: { allowSenders: 'mf:*' } },
      { name, endpoints: [ep], rateLimitPerMinute: 0 },
      { name, endpoints: [ep], rateLimitPerMinute: 1.5 },
    ]
    for (const input of bad) {
      await rejectsWith(store.links.create(input as never), 'STORE_INVALID_ARGUMENT')
    }
    const deep: Record<string, unknown> = {}
    let cursor = deep
    for (let i = 0; i < 100; i++) cursor = cursor.next = {} as Record<string, unknown>
    await rejectsWith(
      store.links.create({ name, endpoints: [{ ...ep!, options: deep }] }),
      'STORE_INVALID_ARGUMENT',
    )
    expect(await namedLinks(store, name)).toEqual([])

    const link = await store.links.create({ name, endpoints: [ep!] })
    await rejectsWith(store.links.update(link.id, { endpoints: [] }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.links.update(link.id, { name: '' }), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.links.get(''), 'STORE_INVALID_ARGUMENT')
    await rejectsWith(store.links.findByEndpoint('matrix', ''), 'STORE_INVALID_ARGUMENT')
    expect(await store.links.get(link.id)).toEqual(link)
  })
}
