import { readFileSync } from 'node:fs'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { generateIdentity, identityFromSeed } from '../../../../src/crypto/identity.ts'
import { open, seal } from '../../../../src/crypto/sealed-box.ts'
import { CHUNK_BYTES, chunkData, chunkPlaintexts } from '../../../../src/node/direct/chunks.ts'
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  MAX_FRAME_BYTES,
  MAX_RECEIPT_BATCH,
  MID_BYTES,
} from '../../../../src/node/direct/frames.ts'
import {
  receiptBytes,
  signReceipts,
  verifyReceipt,
  verifyReceipts,
} from '../../../../src/node/direct/receipt.ts'

const mid = fc.uint8Array({ minLength: MID_BYTES, maxLength: MID_BYTES })
const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({
      mid,
      count: fc.integer({ min: 1, max: 0xffffffff }),
      sealed: fc.uint8Array({ maxLength: 300 }),
    })
    .chain(({ mid, count, sealed }) =>
      fc
        .integer({ min: 0, max: count - 1 })
        .map((index) => ({ type: 'envelope' as const, mid, index, count, sealed })),
    ),
  fc.record({
    type: fc.constant('receipts' as const),
    mids: fc.array(mid, { minLength: 1, maxLength: 8 }),
    deliveredAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  }),
  fc.record({
    type: fc.constant('reject' as const),
    mid,
    code: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/),
    message: fc.string({ maxLength: 200 }),
    retryable: fc.boolean(),
  }),
)

function expectInvalid(run: () => unknown): void {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('DIRECT_FRAME_INVALID')
    return
  }
  throw new Error('expected DIRECT_FRAME_INVALID')
}

describe('direct message frames', () => {
  test.prop([frame])('every frame round-trips', (f) => {
    const decoded = decodeFrame(encodeFrame(f))
    if (f.type === 'reject') expect(decoded).toEqual({ ...f, message: Buffer.from(f.message).toString() })
    else expect(decoded).toEqual(f)
  })

  test.prop([frame.filter((f) => f.type !== 'envelope')])(
    'every truncation of a fixed-size frame is refused with DIRECT_FRAME_INVALID',
    (f) => {
      const bytes = encodeFrame(f)
      for (let n = 0; n < bytes.length; n++) expectInvalid(() => decodeFrame(bytes.subarray(0, n)))
      expectInvalid(() => decodeFrame(new Uint8Array([...bytes, 0])))
    },
  )

  test.prop([fc.uint8Array({ maxLength: 400 })])(
    'random bytes decode or give DIRECT_FRAME_INVALID, nothing else',
    (bytes) => {
      try {
        decodeFrame(bytes)
      } catch (err) {
        expect((err as BridgeError).code).toBe('DIRECT_FRAME_INVALID')
      }
    },
  )

  test('unknown version and type, oversize frames and out-of-range chunks say what was wrong', () => {
    const good = encodeFrame({
      type: 'receipts',
      mids: [new Uint8Array(32)],
      deliveredAt: 1,
      signature: new Uint8Array(64),
    })
    expect(() => decodeFrame(Uint8Array.of(2, ...good.subarray(1)))).toThrow('unknown frame version 0x02')
    expect(() => decodeFrame(Uint8Array.of(1, 9, ...good.subarray(2)))).toThrow('unknown frame type 0x09')
    // 0x02, the single receipt of earlier builds, is no longer read.
    expect(() => decodeFrame(Uint8Array.of(1, 2, ...good.subarray(2)))).toThrow('unknown frame type 0x02')
    expect(() => decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))).toThrow(`exceeds ${MAX_FRAME_BYTES}`)
    const envelope = encodeFrame({
      type: 'envelope',
      mid: new Uint8Array(32),
      index: 0,
      count: 2,
      sealed: new Uint8Array(4),
    })
    envelope[2 + 32 + 3] = 5 // index 5 of 2
    expect(() => decodeFrame(envelope)).toThrow('chunk 5 of 2 is out of range')
  })

  test('receipts cover 1 to MAX_RECEIPT_BATCH ids, and their count must match their length', () => {
    const receipts = (n: number) => ({
      type: 'receipts' as const,
      mids: Array.from({ length: n }, () => new Uint8Array(32)),
      deliveredAt: 1,
      signature: new Uint8Array(64),
    })
    expectInvalid(() => encodeFrame(receipts(0)))
    expectInvalid(() => encodeFrame(receipts(MAX_RECEIPT_BATCH + 1)))
    expect(decodeFrame(encodeFrame(receipts(MAX_RECEIPT_BATCH)))).toMatchObject({ type: 'receipts' })
    const two = encodeFrame(receipts(2))
    two[3] = 3 // count 3, length of 2
    expect(() => decodeFrame(two)).toThrow('receipts for 3 messages must be')
    two[3] = 0 // count 0
    expect(() => decodeFrame(two)).toThrow('receipts for 0 messages')
    expectInvalid(() => encodeFrame({ ...receipts(1), mids: [new Uint8Array(31)] }))
  })
})

describe('chunks', () => {
  test.prop([mid, fc.integer({ min: 0, max: 3 * CHUNK_BYTES + 10 })], { numRuns: 10 })(
    'a payload splits into sealed-header chunks and joins back',
    (id, size) => {
      const payload = Uint8Array.from({ length: size }, (_, i) => i % 251)
      const parts = chunkPlaintexts(id, payload)
      expect(parts).toHaveLength(Math.max(1, Math.ceil(size / CHUNK_BYTES)))
      const joined = Buffer.concat(parts.map((p, i) => chunkData(p, id, i, parts.length)))
      expect(Buffer.compare(joined, Buffer.from(payload))).toBe(0)
    },
  )

  test('a chunk moved to another index or message is refused', () => {
    const [first] = chunkPlaintexts(new Uint8Array(32).fill(1), new Uint8Array(10))
    expect(() => chunkData(first as Uint8Array, new Uint8Array(32).fill(2), 0, 1)).toThrow('does not belong')
    expect(() => chunkData(first as Uint8Array, new Uint8Array(32).fill(1), 1, 2)).toThrow('does not belong')
  })
})

describe('receipts', () => {
  test('one signature covers a batch: it verifies for its sender only, and not once any field changes', () => {
    const [sender, recipient, other] = [generateIdentity(), generateIdentity(), generateIdentity()]
    const mids = [1, 2, 3].map((n) => new Uint8Array(32).fill(n))
    const deliveredAt = Date.now()
    const signature = signReceipts(recipient, mids, sender.publicKey, deliveredAt)
    const batch = { mids, deliveredAt, signature }
    expect(verifyReceipts(batch, recipient.publicKey, sender.publicKey)).toBe(true)
    expect(verifyReceipts(batch, recipient.publicKey, other.publicKey)).toBe(false)
    expect(verifyReceipts(batch, other.publicKey, sender.publicKey)).toBe(false)
    expect(
      verifyReceipts({ ...batch, deliveredAt: deliveredAt + 1 }, recipient.publicKey, sender.publicKey),
    ).toBe(false)
    for (const changed of [mids.slice(1), [...mids].reverse(), [...mids, new Uint8Array(32)], []])
      expect(verifyReceipts({ ...batch, mids: changed }, recipient.publicKey, sender.publicKey)).toBe(false)

    // Each message's Receipt carries the batch, so it can be checked on its own later.
    const receipt = { mid: mids[1] as Uint8Array, recipient: recipient.peerId, deliveredAt, signature, mids }
    expect(verifyReceipt(receipt, sender.publicKey)).toBe(true)
    expect(verifyReceipt(receipt, other.publicKey)).toBe(false)
    expect(verifyReceipt({ ...receipt, recipient: other.peerId }, sender.publicKey)).toBe(false)
    // A valid batch that does not cover the message proves nothing about it.
    expect(verifyReceipt({ ...receipt, mid: new Uint8Array(32).fill(9) }, sender.publicKey)).toBe(false)
  })

  test('a sealed chunk opens only for its recipient and names its sender', () => {
    const [sender, recipient] = [generateIdentity(), generateIdentity()]
    const [plaintext] = chunkPlaintexts(new Uint8Array(32), new TextEncoder().encode('hi'))
    const opened = open(recipient, seal(sender, recipient.peerId, plaintext as Uint8Array))
    expect(opened.senderPeerId).toBe(sender.peerId)
  })
})

describe('receipts: the vector of docs/wire.md', () => {
  /** The fields of "Vector: receipts" (a label, then hex that may continue on indented lines). */
  function vectorFromDoc(): Record<string, string> {
    const doc = readFileSync(new URL('../../../../docs/wire.md', import.meta.url), 'utf8')
    const block = /^#### Vector: receipts\n[\s\S]*?```text\n([\s\S]*?)```/m.exec(doc)?.[1]
    expect(block, 'docs/wire.md has the receipts vector').toBeDefined()
    const fields: Record<string, string> = {}
    let current = ''
    for (const line of (block as string).split('\n').filter((l) => l.trim())) {
      const [first = '', second = ''] = line.trim().split(/\s+/)
      if (line.startsWith(' ')) {
        fields[current] += first
      } else {
        current = first
        fields[current] = second
      }
    }
    return fields
  }

  test('signing and encoding give the bytes on the page, and they decode and verify', () => {
    const seed = (first: number) => Uint8Array.from({ length: 32 }, (_, i) => first + i)
    const [sender, recipient] = [identityFromSeed(seed(0)), identityFromSeed(seed(32))]
    const mids = [new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22)]
    const deliveredAt = 1_700_000_000_000
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
    const signature = signReceipts(recipient, mids, sender.publicKey, deliveredAt)
    const frame = encodeFrame({ type: 'receipts', mids, deliveredAt, signature })
    const doc = vectorFromDoc()
    expect(hex(receiptBytes(mids, sender.publicKey, deliveredAt))).toBe(doc.signed)
    expect(hex(frame)).toBe(doc.frame)
    const decoded = decodeFrame(new Uint8Array(Buffer.from(doc.frame as string, 'hex')))
    expect(decoded).toEqual({ type: 'receipts', mids, deliveredAt, signature })
    expect(
      verifyReceipts(decoded as typeof decoded & { type: 'receipts' }, recipient.publicKey, sender.publicKey),
    ).toBe(true)
  })
})
