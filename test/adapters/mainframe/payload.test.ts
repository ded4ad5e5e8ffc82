import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { decodePayload, encodePayload } from '../../../adapters/mainframe/payload.ts'
import { BridgeError } from '../../../src/core/errors.ts'
import { messageId } from '../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../src/core/message.ts'
import { generateIdentity } from '../../../src/crypto/identity.ts'

const message = fc
  .record({
    native: fc.string({ minLength: 1, maxLength: 40 }),
    text: fc.string({ maxLength: 500 }),
    html: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
  })
  .map(
    ({ native, text, html }): BridgeMessage => ({
      kind: 'text',
      id: messageId('matrix', native),
      origin: { network: 'matrix', nativeId: native, sender: 'matrix:@alice:example.com' },
      conversation: { network: 'matrix', id: '!room:example.com' },
      timestamp: 1_700_000_000_000,
      body: html === undefined ? { text } : { text, html },
      attachments: [],
    }),
  )

function expectInvalid(bytes: Uint8Array, detail?: string): void {
  try {
    decodePayload(bytes, () => 'peer:12D3KooWnode')
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('MAINFRAME_PAYLOAD_INVALID')
    if (detail) expect((err as BridgeError).shortMessage).toContain(detail)
    return
  }
  throw new Error('expected MAINFRAME_PAYLOAD_INVALID')
}

describe('bridged message payload', () => {
  test.prop([message])('round-trips every message', (m) => {
    expect(decodePayload(encodePayload(m), () => 'peer:x')).toEqual({ message: m })
  })

  const speaker = generateIdentity()
  const recipient = generateIdentity().peerId
  const group = `group:${'ab'.repeat(32)}`

  test.prop([message, fc.boolean(), fc.boolean()])(
    'a signed payload round-trips with its speaker and recipient',
    (m, speaks, addressed) => {
      const parties = {
        ...(speaks ? { speaker } : {}),
        ...(addressed ? { recipient } : {}),
        context: group,
      }
      const decoded = decodePayload(encodePayload(m, parties), () => group)
      expect(decoded.message).toEqual(m)
      expect(decoded.speaker).toBe(speaks ? speaker.peerId : undefined)
      expect(decoded.recipient).toBe(addressed ? recipient : undefined)
    },
  )

  test.prop([message])('a signed message does not verify in another context (no replay elsewhere)', (m) => {
    const bytes = encodePayload(m, { speaker, context: group })
    expectInvalid(bytes.slice(), 'signature does not verify')
    expect(() => decodePayload(bytes, () => `group:${'cd'.repeat(32)}`)).toThrow(/signature does not verify/)
  })

  test.prop([message, fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'any flipped byte of a signed payload is refused',
    (m, at, flip) => {
      const bytes = encodePayload(m, { speaker, recipient, context: `peer:${recipient}` })
      const i = at % bytes.length
      bytes[i] = (bytes[i] as number) ^ flip
      expect(() => decodePayload(bytes, (r) => `peer:${r ?? 'none'}`)).toThrow(BridgeError)
    },
  )

  test.prop([fc.uint8Array({ maxLength: 300 })])(
    "random bytes after the signed form's first byte give MAINFRAME_PAYLOAD_INVALID",
    (bytes) => {
      expectInvalid(Uint8Array.of(3, ...bytes))
    },
  )

  test.prop([fc.uint8Array({ maxLength: 300 })])(
    'random bytes give MAINFRAME_PAYLOAD_INVALID, nothing else',
    (bytes) => {
      expectInvalid(bytes)
    },
  )

  test('says what was wrong', () => {
    expectInvalid(Uint8Array.of(2, 0x7b, 0x7d), 'unknown payload version 0x02')
    expectInvalid(Uint8Array.of(3, 4, 0x7b, 0x7d), 'unknown payload flags')
    expectInvalid(Uint8Array.of(3, 1, 9, 9), 'ends inside the speaker key')
    expectInvalid(Uint8Array.of(1, 0xff, 0xfe), 'not UTF-8 JSON')
    expectInvalid(Uint8Array.of(1, ...new TextEncoder().encode('{"kind":"reaction"}')), 'not a valid message')
  })
})
