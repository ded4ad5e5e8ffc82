import { describe, expect, test } from 'vitest'
import { messageId } from '../../../src/core/ids.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../../src/core/message.ts'
import { parseWith } from '../../../src/core/validate.ts'

const id = messageId('matrix', '$1:example.com')
const target = messageId('matrix', '$0:example.com')
const base = {
  id,
  origin: { network: 'matrix', nativeId: '$1:example.com', sender: 'matrix:@alice:example.com' },
  conversation: { network: 'matrix', id: '!room:example.com' },
  timestamp: 1_700_000_000_000,
  body: { text: 'hello' },
}

describe('BridgeMessage schema', () => {
  test('a text message parses, attachments default to none', () => {
    const msg: BridgeMessage = parseWith(bridgeMessageSchema, { kind: 'text', ...base }, 'message')
    expect(msg.attachments).toEqual([])
    expect(msg.kind).toBe('text')
  })

  test('a reaction needs its target and key', () => {
    expect(() => parseWith(bridgeMessageSchema, { kind: 'reaction', ...base }, 'message')).toThrow(
      /relatesTo/,
    )
    const ok = parseWith(
      bridgeMessageSchema,
      { kind: 'reaction', ...base, relatesTo: { type: 'reaction', messageId: target, key: '👍' } },
      'message',
    )
    expect(ok.kind === 'reaction' && ok.relatesTo.key).toBe('👍')
  })

  test('media needs at least one attachment', () => {
    expect(() => parseWith(bridgeMessageSchema, { kind: 'media', ...base }, 'message')).toThrow(/attachments/)
  })

  test('a chain event carries its log; other kinds cannot', () => {
    const chainEvent = {
      chainId: 'eip155:31337',
      address: `0x${'ab'.repeat(20)}`,
      txHash: `0x${'cd'.repeat(32)}`,
      logIndex: 3,
      blockNumber: 12,
      blockHash: `0x${'ef'.repeat(32)}`,
      topics: [`0x${'01'.repeat(32)}`],
      data: '0x',
      args: { amount: '1000' },
    }
    expect(parseWith(bridgeMessageSchema, { kind: 'chain-event', ...base, chainEvent }, 'message').kind).toBe(
      'chain-event',
    )
    expect(() => parseWith(bridgeMessageSchema, { kind: 'text', ...base, chainEvent }, 'message')).toThrow(
      /unknown field\(s\) chainEvent/,
    )
  })

  test('errors name every bad path', () => {
    const bad = { kind: 'text', ...base, id: 'nope', origin: { ...base.origin, sender: 'alice' }, extra: 1 }
    let message = ''
    try {
      parseWith(bridgeMessageSchema, bad, 'message')
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/^invalid message: /)
    expect(message).toMatch(/id: a message id is "m" followed by 40/)
    expect(message).toMatch(/origin\.sender: not a valid address URI/)
    expect(message).toMatch(/unknown field\(s\) extra/)
  })

  test('an unknown kind is refused', () => {
    expect(() => parseWith(bridgeMessageSchema, { ...base, kind: 'sticker' }, 'message')).toThrow(/kind/)
  })
})
