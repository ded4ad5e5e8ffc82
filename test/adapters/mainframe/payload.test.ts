import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { decodePayload, encodePayload } from '../../../adapters/mainframe/payload.ts'
import { BridgeError } from '../../../src/core/errors.ts'
import { messageId } from '../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../src/core/message.ts'

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
    decodePayload(bytes)
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
    expect(decodePayload(encodePayload(m))).toEqual(m)
  })

  test.prop([fc.uint8Array({ maxLength: 300 })])(
    'random bytes give MAINFRAME_PAYLOAD_INVALID, nothing else',
    (bytes) => {
      expectInvalid(bytes)
    },
  )

  test('says what was wrong', () => {
    expectInvalid(Uint8Array.of(2, 0x7b, 0x7d), 'unknown payload version 0x02')
    expectInvalid(Uint8Array.of(1, 0xff, 0xfe), 'not UTF-8 JSON')
    expectInvalid(Uint8Array.of(1, ...new TextEncoder().encode('{"kind":"reaction"}')), 'not a valid message')
  })
})
