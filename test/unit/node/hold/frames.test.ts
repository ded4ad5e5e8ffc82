import { readFileSync } from 'node:fs'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { identityFromSeed } from '../../../../src/crypto/identity.ts'
import { tryPeerKey } from '../../../../src/crypto/peer.ts'
import {
  BATCH_HEADER_BYTES,
  batchPacketBytes,
  decodeHoldFrame,
  encodeHoldFrame,
  type HoldFrame,
  MAX_FRAME_BYTES,
  MAX_PACKET_BYTES,
} from '../../../../src/node/hold/frames.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'))
const seed = (first: number) => Uint8Array.from({ length: 32 }, (_, i) => first + i)
const A = identityFromSeed(seed(0))
const B = identityFromSeed(seed(32))

/** Decoding `bytes` throws HOLD_FRAME_INVALID (status 400); returns its short message. */
function refused(bytes: Uint8Array): string {
  try {
    decodeHoldFrame(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('HOLD_FRAME_INVALID')
    expect((err as BridgeError).status).toBe(400)
    return (err as BridgeError).shortMessage
  }
  throw new Error(`expected ${hex(bytes).slice(0, 80)} to be refused`)
}

/** Encoding `frame` throws HOLD_FRAME_INVALID; returns its short message. */
function unencodable(frame: unknown): string {
  try {
    encodeHoldFrame(frame as HoldFrame)
  } catch (err) {
    expect((err as BridgeError).code).toBe('HOLD_FRAME_INVALID')
    return (err as BridgeError).shortMessage
  }
  throw new Error('expected the frame to be refused')
}

// ---- arbitraries ----

const peers = Array.from({ length: 6 }, (_, n) => identityFromSeed(seed(n * 40)).peerId)
const peer = fc.constantFrom(...peers)
const packetId = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'grapheme', minLength: 1 }),
  )
  .filter((s) => !s.includes('\0') && Buffer.byteLength(s) <= 64)
const packet = fc.uint8Array({ minLength: 1, maxLength: 48 })
const ARBITRARIES: Record<HoldFrame['type'], fc.Arbitrary<HoldFrame>> = {
  store: fc.record({
    type: fc.constant('store' as const),
    recipient: peer,
    id: packetId,
    ttlSeconds: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    packet,
  }),
  stored: fc.record({
    type: fc.constant('stored' as const),
    id: packetId,
    result: fc.constantFrom('stored' as const, 'duplicate' as const, 'quota' as const, 'too-large' as const),
  }),
  fetch: fc.record({
    type: fc.constant('fetch' as const),
    limit: fc.integer({ min: 1, max: 1000 }),
    after: fc.option(packetId, { nil: null }),
  }),
  batch: fc
    .record({
      type: fc.constant('batch' as const),
      packets: fc.array(fc.record({ id: packetId, sender: peer, packet }), { maxLength: 4 }),
      more: fc.boolean(),
    })
    .filter((b) => b.packets.length > 0 || !b.more),
  ack: fc.record({
    type: fc.constant('ack' as const),
    ids: fc.array(packetId, { minLength: 1, maxLength: 5 }),
  }),
  acked: fc.record({ type: fc.constant('acked' as const), count: fc.integer({ min: 0, max: 1000 }) }),
  error: fc.record({
    type: fc.constant('error' as const),
    code: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/),
    message: fc.string({ unit: 'binary', maxLength: 200 }),
  }),
}
const anyFrame = fc.oneof(...Object.values(ARBITRARIES))

// ---- properties ----

describe('hold frames: round trips', () => {
  for (const [type, arbitrary] of Object.entries(ARBITRARIES)) {
    test.prop([arbitrary])(`${type}: decode(encode(f)) = f, and encoding is canonical`, (frame) => {
      const bytes = encodeHoldFrame(frame)
      expect(bytes[0]).toBe(0x01)
      const decoded = decodeHoldFrame(bytes)
      expect(decoded).toEqual(frame)
      expect(hex(encodeHoldFrame(decoded))).toBe(hex(bytes))
    })
  }

  test('a largest packet (16 MiB) round-trips', () => {
    const big = new Uint8Array(MAX_PACKET_BYTES).fill(0xa5)
    big[0] = 0
    const bytes = encodeHoldFrame({
      type: 'store',
      recipient: A.peerId,
      id: 'big',
      ttlSeconds: 60,
      packet: big,
    })
    const frame = decodeHoldFrame(bytes)
    expect(frame.type === 'store' && Buffer.from(frame.packet).equals(big)).toBe(true)
  })

  test.prop([ARBITRARIES.batch])('a batch is its header plus batchPacketBytes of each packet', (frame) => {
    if (frame.type !== 'batch') return
    const size = frame.packets.reduce((sum, p) => sum + batchPacketBytes(p), BATCH_HEADER_BYTES)
    expect(encodeHoldFrame(frame).length).toBe(size)
  })
})

describe('hold frames: malformed input is refused with HOLD_FRAME_INVALID', () => {
  test.prop([anyFrame])('every truncation of a valid frame', (frame) => {
    const bytes = encodeHoldFrame(frame)
    for (let n = 0; n < bytes.length; n++) refused(bytes.subarray(0, n))
  })

  test.prop([anyFrame, fc.uint8Array({ minLength: 1, maxLength: 8 })])('trailing bytes', (frame, extra) => {
    const bytes = encodeHoldFrame(frame)
    expect(refused(Buffer.concat([bytes, extra]))).toMatch(/trailing bytes/)
  })

  // Anything decoded is canonical: it encodes back to the very bytes read.
  const decodesCanonicallyOrRefuses = (bytes: Uint8Array) => {
    let frame: HoldFrame
    try {
      frame = decodeHoldFrame(bytes)
    } catch (err) {
      expect(err).toBeInstanceOf(BridgeError)
      expect((err as BridgeError).code).toBe('HOLD_FRAME_INVALID')
      return
    }
    expect(hex(encodeHoldFrame(frame))).toBe(hex(bytes))
  }
  const many = { numRuns: 1000 }
  test.prop([fc.uint8Array({ maxLength: 300 })], many)('random bytes', decodesCanonicallyOrRefuses)
  test.prop([fc.integer({ min: 0, max: 9 }), fc.uint8Array({ maxLength: 120 })], many)(
    'random bodies behind a valid header',
    (type, body) => decodesCanonicallyOrRefuses(Uint8Array.of(0x01, type, ...body)),
  )
  test.prop([anyFrame, fc.nat(), fc.integer({ min: 1, max: 255 })], many)(
    'a valid frame with one byte changed',
    (frame, at, xor) => {
      const bytes = encodeHoldFrame(frame)
      bytes[at % bytes.length]! ^= xor
      decodesCanonicallyOrRefuses(bytes)
    },
  )

  test('each refusal says what was wrong', () => {
    const key = hex(A.publicKey)
    const offCurve = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i, ...new Uint8Array(31))).find(
      (k) => tryPeerKey(k) === null,
    )!
    const cases: [string, RegExp][] = [
      ['', /frame: expected 2 bytes of header, got 0/],
      ['02010000', /unknown version 0x02: this node reads version 0x01/],
      ['0100', /unknown frame type 0x00/],
      ['0108', /unknown frame type 0x08/],
      ['01010102030405060708', /store frame: recipient: expected 32 bytes of key, got 8/],
      [`0101${hex(offCurve)}00000001`, /recipient: not a usable Ed25519 public key/],
      [`0101${key}00000000`, /ttlSeconds: expected 1 to 4294967295, got 0/],
      [`0101${key}0000000141${'61'.repeat(65)}`, /id length: expected 1 to 64, got 65/],
      [`0101${key}0000000100`, /id length: expected 1 to 64, got 0/],
      [`0101${key}00000001036162`, /id: expected 3 bytes, got 2/],
      [`0101${key}0000000102ff61`, /id: not well-formed UTF-8/],
      [`0101${key}000000010261000000000100`, /id: must not contain NUL/],
      [`0101${key}00000001016100000000`, /packet length: expected 1 to 16777216, got 0/],
      [`0101${key}00000001016101000001`, /packet length: expected 1 to 16777216, got 16777217/],
      [`0101${key}0000000101610000000a0102`, /packet: expected 10 bytes, got 2/],
      ['0102016104', /stored frame: result: expected 0 to 3, got 4/],
      ['010303e900', /fetch frame: limit: expected 1 to 1000, got 1001/],
      ['0104020000', /batch frame: more: expected 0 to 1, got 2/],
      ['0104010000', /an empty batch cannot have more/],
      ['01050000', /ack frame: id count: expected 1 to 1000, got 0/],
      ['010603e9', /acked frame: count: expected 0 to 1000, got 1001/],
      ['01070261620000', /error frame: code: expected UPPER_SNAKE ASCII/],
      ['01070141040100', /message length: expected 0 to 1024, got 1025/],
      ['010600020000', /acked frame: 2 trailing bytes after the last field/],
    ]
    for (const [frame, message] of cases) expect(refused(unhex(frame)), frame).toMatch(message)
    expect(refused(new Uint8Array(MAX_FRAME_BYTES + 1))).toMatch(
      /17825793 bytes exceed the limit of 17825792/,
    )
    expect(refused(unhex('01060002').subarray(0, 3))).toMatch(/count: expected 2 bytes, got 1/)
  })
})

describe('hold frames: the encoder refuses what the format cannot carry', () => {
  test('bad fields', () => {
    const store = { type: 'store', recipient: A.peerId, id: 'x', ttlSeconds: 1, packet: Uint8Array.of(1) }
    expect(unencodable({ ...store, recipient: 'not a peer id' })).toMatch(/recipient: not a libp2p peer id/)
    expect(unencodable({ ...store, ttlSeconds: 0 })).toMatch(/ttlSeconds: expected an integer from 1/)
    expect(unencodable({ ...store, ttlSeconds: 2 ** 32 })).toMatch(/ttlSeconds/)
    expect(unencodable({ ...store, id: '' })).toMatch(
      /id length in bytes: expected an integer from 1 to 64, got 0/,
    )
    expect(unencodable({ ...store, id: 'é'.repeat(33) })).toMatch(/got 66/)
    expect(unencodable({ ...store, id: 'a\0' })).toMatch(/id: must not contain NUL/)
    expect(unencodable({ ...store, id: '\uD800' })).toMatch(/id: expected well-formed text/)
    expect(unencodable({ ...store, packet: new Uint8Array(0) })).toMatch(/packet length/)
    expect(unencodable({ ...store, packet: [1] })).toMatch(/packet: expected a Uint8Array/)
    expect(unencodable({ type: 'stored', id: 'x', result: 'lost' })).toMatch(/result: expected one of/)
    expect(unencodable({ type: 'fetch', limit: 0, after: null })).toMatch(/limit/)
    expect(unencodable({ type: 'batch', packets: [], more: true })).toMatch(/empty batch cannot have more/)
    expect(unencodable({ type: 'ack', ids: [] })).toMatch(/id count/)
    expect(unencodable({ type: 'acked', count: 1.5 })).toMatch(/count/)
    expect(unencodable({ type: 'error', code: 'lower', message: '' })).toMatch(/code: expected UPPER_SNAKE/)
    expect(unencodable({ type: 'error', code: 'E', message: 'x'.repeat(1025) })).toMatch(/message length/)
    expect(unencodable({ type: 'hello' })).toMatch(/unknown frame type "hello"/)
    const big = new Uint8Array(MAX_PACKET_BYTES)
    const two = [
      { id: 'a', sender: B.peerId, packet: big },
      { id: 'b', sender: B.peerId, packet: big },
    ]
    expect(unencodable({ type: 'batch', packets: two, more: false })).toMatch(/exceed the frame limit/)
  })
})

// ---- the vectors of docs/wire-hold.md ----

/** Vector name → the frame it encodes, as the page shows it. */
const VECTORS: Record<string, HoldFrame> = {
  store: { type: 'store', recipient: A.peerId, id: 'pkt-1', ttlSeconds: 86400, packet: unhex('000102ff') },
  stored: { type: 'stored', id: 'pkt-1', result: 'quota' },
  fetch: { type: 'fetch', limit: 100, after: null },
  'fetch after': { type: 'fetch', limit: 10, after: 'pkt-1' },
  batch: {
    type: 'batch',
    more: true,
    packets: [
      { id: 'pkt-1', sender: B.peerId, packet: unhex('deadbeef') },
      { id: 'pkt-2', sender: A.peerId, packet: unhex('00') },
    ],
  },
  'empty batch': { type: 'batch', more: false, packets: [] },
  ack: { type: 'ack', ids: ['pkt-1', 'pkt-2'] },
  acked: { type: 'acked', count: 2 },
  error: { type: 'error', code: 'HOLD_QUOTA', message: 'too many packets held for this peer' },
}

/** The `frame` hex of each vector of docs/wire-hold.md, by name. */
function vectorsFromDoc(): Map<string, string> {
  const doc = readFileSync(new URL('../../../../docs/wire-hold.md', import.meta.url), 'utf8')
  const found = new Map<string, string>()
  for (const match of doc.matchAll(/^#### Vector \d+: (.+)\n[\s\S]*?```text\nframe\s+([0-9a-f\s]+?)```/gm)) {
    found.set(match[1]!, match[2]!.replace(/\s/g, ''))
  }
  return found
}

describe('hold frames: test vectors of docs/wire-hold.md', () => {
  const fromDoc = vectorsFromDoc()
  test('the page has every vector, and only those', () => {
    expect([...fromDoc.keys()].sort()).toEqual(Object.keys(VECTORS).sort())
  })
  test('the keys are the ones the page names', () => {
    expect([hex(A.publicKey), A.peerId]).toEqual([
      '03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8',
      '12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB',
    ])
    expect([hex(B.publicKey), B.peerId]).toEqual([
      '29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7',
      '12D3KooWCd3eX8r5ihRvzK7P1yPq5aakaBJhG5GNj18YTztPhoCa',
    ])
  })
  test.each(Object.entries(VECTORS))('%s', (name, frame) => {
    const expected = fromDoc.get(name)
    expect(expected).toBeDefined()
    expect(hex(encodeHoldFrame(frame))).toBe(expected)
    expect(decodeHoldFrame(unhex(expected!))).toEqual(frame)
  })
})
