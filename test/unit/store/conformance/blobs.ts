import { createHash, randomBytes } from 'node:crypto'
import { expect, test } from 'vitest'
import { MAX_BLOB_BATCH, MAX_BLOB_BYTES } from '../../../../src/store/blob-port.ts'
import { type ConformanceContext, rejectsWith, sleep } from './support.ts'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Fresh random bytes: their hash is one no other test uses. */
const fresh = (length = 1000) => new Uint8Array(randomBytes(length))

/** Blobs: content-addressed, idempotent, whole bytes back, batch lookups, trimming. */
export function blobConformance(ctx: ConformanceContext): void {
  test('put stores bytes under their SHA-256; get gives them back exactly, as a plain Uint8Array', async () => {
    const store = await ctx.open()
    const bytes = fresh(70_000)
    const ref = await store.blobs.put(bytes, 'image/png')
    expect(ref).toEqual({ hash: sha256(bytes), size: 70_000 })
    const blob = await store.blobs.get(ref.hash)
    expect(blob?.mediaType).toBe('image/png')
    expect(blob?.bytes.constructor).toBe(Uint8Array)
    expect(blob?.bytes).toEqual(bytes)
    expect(await store.blobs.get(sha256(fresh()))).toBeUndefined()
    // Another handle (another process) reads it too.
    const other = await ctx.open()
    expect((await other.blobs.get(ref.hash))?.bytes).toEqual(bytes)
  })

  test('only the bytes of a view are stored; empty bytes are a blob too', async () => {
    const store = await ctx.open()
    const whole = fresh(300)
    const view = whole.subarray(100, 200)
    const ref = await store.blobs.put(view, 'application/octet-stream')
    expect(ref).toEqual({ hash: sha256(view), size: 100 })
    expect((await store.blobs.get(ref.hash))?.bytes).toEqual(whole.slice(100, 200))
    const empty = await store.blobs.put(new Uint8Array(0), 'text/plain')
    expect(empty).toEqual({ hash: sha256(new Uint8Array(0)), size: 0 })
    expect((await store.blobs.get(empty.hash))?.bytes).toEqual(new Uint8Array(0))
  })

  test('put again is idempotent: one blob, the first media type kept', async () => {
    const store = await ctx.open()
    const bytes = fresh()
    const first = await store.blobs.put(bytes, 'image/jpeg')
    expect(await store.blobs.put(Uint8Array.from(bytes), 'application/octet-stream')).toEqual(first)
    expect(await store.blobs.get(first.hash)).toEqual({ bytes, mediaType: 'image/jpeg' })
  })

  test('processes racing to put the same bytes all succeed with one blob', async () => {
    const stores = await Promise.all([ctx.open(), ctx.open(), ctx.open()])
    const bytes = fresh(200_000)
    const made = await Promise.all(stores.map((s) => s.blobs.put(bytes, 'video/mp4')))
    for (const ref of made) expect(ref).toEqual({ hash: sha256(bytes), size: bytes.length })
    expect((await stores[2]!.blobs.get(sha256(bytes)))?.bytes).toEqual(bytes)
  })

  test('has answers which hashes are stored, in one call', async () => {
    const store = await ctx.open()
    const a = await store.blobs.put(fresh(), 'image/png')
    const b = await store.blobs.put(fresh(), 'image/png')
    const missing = sha256(fresh())
    expect(await store.blobs.has([a.hash, missing, b.hash, a.hash])).toEqual(new Set([a.hash, b.hash]))
    expect(await store.blobs.has([])).toEqual(new Set())
    const full = Array.from({ length: MAX_BLOB_BATCH - 1 }, (_, i) =>
      sha256(Uint8Array.of(i >> 8, i & 255, 7)),
    )
    expect(await store.blobs.has([...full, a.hash])).toContain(a.hash)
  })

  test('a transaction commits blobs with its other writes, or none', async () => {
    const store = await ctx.open()
    const kept = fresh()
    const lost = fresh()
    await store.transaction(async (tx) => {
      const ref = await tx.blobs.put(kept, 'image/gif')
      expect((await tx.blobs.get(ref.hash))?.bytes).toEqual(kept)
    })
    const boom = new Error('boom')
    await expect(
      store.transaction(async (tx) => {
        await tx.blobs.put(lost, 'image/gif')
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(await store.blobs.has([sha256(kept), sha256(lost)])).toEqual(new Set([sha256(kept)]))
  })

  test('deleteBefore forgets the blobs not put since the cutoff; a put again keeps one', async () => {
    const store = await ctx.open()
    const old = await store.blobs.put(fresh(), 'image/png')
    const again = await store.blobs.put(fresh(), 'image/png')
    await sleep(5)
    const cutoff = Date.now()
    await sleep(5)
    const recent = await store.blobs.put(fresh(), 'image/png')
    // Put again after the cutoff: it is in use, so it stays.
    const refreshed = (await store.blobs.get(again.hash))!.bytes
    await store.blobs.put(refreshed, 'image/png')
    const deleted = await store.blobs.deleteBefore(cutoff)
    expect(deleted).toBeGreaterThanOrEqual(1)
    expect(Number.isSafeInteger(deleted)).toBe(true)
    expect(await store.blobs.has([old.hash, again.hash, recent.hash])).toEqual(
      new Set([again.hash, recent.hash]),
    )
    expect(await store.blobs.get(old.hash)).toBeUndefined()
    // Forgotten, it can be stored anew.
    const bytes = fresh()
    const back = await store.blobs.put(bytes, 'text/plain')
    expect(await store.blobs.deleteBefore(0)).toBeGreaterThanOrEqual(0)
    expect((await store.blobs.get(back.hash))?.bytes).toEqual(bytes)
  })

  test('bad input is STORE_INVALID_ARGUMENT and stores nothing', async () => {
    const store = await ctx.open()
    const bad = (p: Promise<unknown>) => rejectsWith(p, 'STORE_INVALID_ARGUMENT')
    const bytes = fresh()
    await bad(store.blobs.put('bytes' as unknown as Uint8Array, 'image/png'))
    await bad(store.blobs.put([1, 2] as unknown as Uint8Array, 'image/png'))
    await bad(store.blobs.put(bytes, ''))
    await bad(store.blobs.put(bytes, 'png'))
    await bad(store.blobs.put(bytes, 'image/png; charset=x'))
    await bad(store.blobs.put(bytes, `image/${'p'.repeat(300)}`))
    await bad(store.blobs.put(bytes, 7 as unknown as string))
    const tooLarge = new Uint8Array(MAX_BLOB_BYTES + 1)
    const err = await bad(store.blobs.put(tooLarge, 'application/octet-stream'))
    expect(err.shortMessage).toContain('64 MiB')
    await bad(store.blobs.get('ABC'))
    await bad(store.blobs.get(sha256(bytes).toUpperCase()))
    await bad(store.blobs.get(undefined as unknown as string))
    await bad(store.blobs.has('x' as unknown as string[]))
    await bad(store.blobs.has([sha256(bytes), 'nope']))
    await bad(store.blobs.has(Array.from({ length: MAX_BLOB_BATCH + 1 }, () => sha256(bytes))))
    for (const cutoff of [Number.NaN, Number.POSITIVE_INFINITY, undefined, '1'])
      await bad(store.blobs.deleteBefore(cutoff as number))
    expect(await store.blobs.has([sha256(bytes)])).toEqual(new Set())
  })

  test('a blob of the largest size goes in and comes back whole', { timeout: 60_000 }, async () => {
    const store = await ctx.open()
    const bytes = new Uint8Array(MAX_BLOB_BYTES)
    bytes.set(randomBytes(4096), MAX_BLOB_BYTES - 4096)
    bytes[0] = Date.now() & 255
    bytes.set(randomBytes(32), 1)
    const ref = await store.blobs.put(bytes, 'video/webm')
    expect(ref.size).toBe(MAX_BLOB_BYTES)
    const back = await store.blobs.get(ref.hash)
    expect(back?.bytes.length).toBe(MAX_BLOB_BYTES)
    expect(sha256(back!.bytes)).toBe(ref.hash)
    await store.blobs.put(bytes, 'video/webm')
  })
}
