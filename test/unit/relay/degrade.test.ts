import { describe, expect, test } from 'vitest'
import type { Capabilities } from '../../../src/adapter.ts'
import { messageId } from '../../../src/core/ids.ts'
import type { BridgeMessage, MessageKind } from '../../../src/core/message.ts'
import { degrade } from '../../../src/relay/degrade.ts'

const caps = (kinds: MessageKind[], html = false): Capabilities => ({
  kinds: new Set(kinds),
  html,
  maxBytes: 65536,
})
const target = messageId('matrix', '$target')
const base = {
  id: messageId('matrix', '$1'),
  origin: { network: 'matrix', nativeId: '$1', sender: 'matrix:@alice:example.com' },
  conversation: { network: 'matrix', id: '!room:example.com' },
  timestamp: 1,
  attachments: [],
}

describe('degrade to text', () => {
  test('a kind the target carries passes unchanged (HTML dropped when it has none)', () => {
    const msg: BridgeMessage = { ...base, kind: 'text', body: { text: 'hi', html: '<b>hi</b>' } }
    expect(degrade(msg, caps(['text'], true))).toBe(msg)
    expect(degrade(msg, caps(['text'])).body).toEqual({ text: 'hi' })
  })

  test('a reaction becomes "reacted 👍 to …", never dropped', () => {
    const msg: BridgeMessage = {
      ...base,
      kind: 'reaction',
      body: { text: '' },
      relatesTo: { type: 'reaction', messageId: target, key: '👍' },
    }
    const out = degrade(msg, caps(['text']))
    expect(out.kind).toBe('text')
    expect(out.body.text).toBe(`reacted 👍 to ${target}`)
    expect(out.id).toBe(msg.id)
  })

  test('edits, redactions, emotes and media have a text form', () => {
    const t = caps(['text'])
    expect(
      degrade(
        { ...base, kind: 'edit', body: { text: 'fixed' }, relatesTo: { type: 'edit', messageId: target } },
        t,
      ).body.text,
    ).toBe(`edited ${target}: fixed`)
    expect(
      degrade(
        {
          ...base,
          kind: 'redaction',
          body: { text: '' },
          relatesTo: { type: 'redaction', messageId: target },
        },
        t,
      ).body.text,
    ).toBe(`deleted ${target}`)
    expect(degrade({ ...base, kind: 'emote', body: { text: 'waves' } }, t).body.text).toBe(
      '* matrix:@alice:example.com waves',
    )
    const media = degrade(
      {
        ...base,
        kind: 'media',
        body: { text: 'look' },
        attachments: [{ hash: 'a'.repeat(64), name: 'cat.png', mediaType: 'image/png', size: 10 }],
      },
      t,
    )
    expect(media.body.text).toBe(`look\n[image/png] cat.png (10 bytes, sha256 ${'a'.repeat(64)})`)
    expect(media.attachments).toEqual([])
  })

  test('a chain event becomes a notice where notices exist', () => {
    const msg: BridgeMessage = {
      ...base,
      kind: 'chain-event',
      body: { text: 'Transfer' },
      chainEvent: {
        chainId: 'eip155:1',
        address: `0x${'ab'.repeat(20)}`,
        txHash: `0x${'cd'.repeat(32)}`,
        logIndex: 0,
        blockNumber: 5,
        blockHash: `0x${'ef'.repeat(32)}`,
        topics: [],
        data: '0x',
        args: {},
      },
    }
    const out = degrade(msg, caps(['text', 'notice']))
    expect(out.kind).toBe('notice')
    expect(out.body.text).toMatch(/^Transfer — eip155:1 0xabab.* tx 0xcdcd.* log 0 block 5$/)
  })
})
