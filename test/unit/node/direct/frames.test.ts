import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { generateIdentity } from '../../../../src/crypto/identity.ts'
import { open, seal } from '../../../../src/crypto/sealed-box.ts'
import { CHUNK_BYTES, chunkData, chunkPlaintexts } from '../../../../src/node/direct/chunks.ts'
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  MAX_FRAME_BYTES,
  MID_BYTES,
} from '../../../../src/node/direct/frames.ts'
import { signReceipt, verifyReceipt } from '../../../../src/node/direct/receipt.ts'

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
    type: fc.constant('receipt' as const),
    mid,
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
      type: 'receipt',
      mid: new Uint8Array(32),
      deliveredAt: 1,
      signature: new Uint8Array(64),
    })
    expect(() => decodeFrame(Uint8Array.of(2, ...good.subarray(1)))).toThrow('unknown frame version 0x02')
    expect(() => decodeFrame(Uint8Array.of(1, 9, ...good.subarray(2)))).toThrow('unknown frame type 0x09')
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
  test('a receipt verifies for its sender only, and not once any field changes', () => {
    const [sender, recipient, other] = [generateIdentity(), generateIdentity(), generateIdentity()]
    const id = new Uint8Array(32).fill(7)
    const deliveredAt = Date.now()
    const signature = signReceipt(recipient, id, sender.publicKey, deliveredAt)
    const receipt = { mid: id, recipient: recipient.peerId, deliveredAt, signature }
    expect(verifyReceipt(receipt, sender.publicKey)).toBe(true)
    expect(verifyReceipt(receipt, other.publicKey)).toBe(false)
    expect(verifyReceipt({ ...receipt, deliveredAt: deliveredAt + 1 }, sender.publicKey)).toBe(false)
    expect(verifyReceipt({ ...receipt, recipient: other.peerId }, sender.publicKey)).toBe(false)
    expect(verifyReceipt({ ...receipt, mid: new Uint8Array(32) }, sender.publicKey)).toBe(false)
  })

  test('a sealed chunk opens only for its recipient and names its sender', () => {
    const [sender, recipient] = [generateIdentity(), generateIdentity()]
    const [plaintext] = chunkPlaintexts(new Uint8Array(32), new TextEncoder().encode('hi'))
    const opened = open(recipient, seal(sender, recipient.peerId, plaintext as Uint8Array))
    expect(opened.senderPeerId).toBe(sender.peerId)
  })
})
