import { describe, expect, test } from 'vitest'
import type { MxcUri } from '../../../../adapters/matrix/translate/mxc.ts'
import {
  messageToContent,
  type Outbound,
  type OutboundContext,
  type OutgoingEvent,
} from '../../../../adapters/matrix/translate/outbound.ts'
import { messageId } from '../../../../src/core/ids.ts'
import { bridged } from './fixtures.ts'

const HTML = 'org.matrix.custom.html'
const TARGET = messageId('webhook', 'earlier')
const HASH_A = 'aa'.repeat(32)
const HASH_B = 'bb'.repeat(32)

/** A context where TARGET was delivered as $target (or nothing is known). */
function outbound(over: Partial<OutboundContext> = {}, knows = true): OutboundContext {
  return { resolve: (id) => (knows && id === TARGET ? '$target' : undefined), ...over }
}

function events(out: Outbound): readonly OutgoingEvent[] {
  if (out.outcome !== 'send') throw new Error(`expected events, got ${JSON.stringify(out)}`)
  return out.events
}

function only(out: Outbound): OutgoingEvent {
  const all = events(out)
  expect(all).toHaveLength(1)
  return all[0] as OutgoingEvent
}

describe('text, notice, emote', () => {
  test('plain text is an m.text with its body', () => {
    expect(only(messageToContent(bridged('text'), outbound()))).toEqual({
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'hi' },
    })
  })

  test('HTML is sanitized again before it is sent', () => {
    const msg = bridged('notice', {
      body: { text: 'x', html: '<b>x</b><script>alert(1)</script><img src="https://e.x/p">' },
    })
    expect(only(messageToContent(msg, outbound())).content).toEqual({
      msgtype: 'm.notice',
      body: 'x',
      format: HTML,
      formatted_body: '<b>x</b>',
    })
  })

  test('HTML with nothing left is not sent; empty text is read from the HTML', () => {
    const empty = bridged('emote', { body: { text: 'waves', html: '<script>x</script>' } })
    expect(only(messageToContent(empty, outbound())).content).toEqual({ msgtype: 'm.emote', body: 'waves' })
    const htmlOnly = bridged('text', { body: { text: '', html: '<p>a</p><p>b</p>' } })
    expect(only(messageToContent(htmlOnly, outbound())).content).toMatchObject({ body: 'a\n\nb' })
  })
})

describe('replies and threads', () => {
  test('a reply carries m.in_reply_to to the event of its target', () => {
    const msg = bridged('text', { relatesTo: { type: 'reply', messageId: TARGET } })
    expect(only(messageToContent(msg, outbound())).content).toEqual({
      msgtype: 'm.text',
      body: 'hi',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$target' } },
    })
  })

  test('a reply to a message not in the room goes plain, with a quoted note', () => {
    const msg = bridged('text', {
      body: { text: 'hi', html: '<b>hi</b>' },
      relatesTo: { type: 'reply', messageId: TARGET },
    })
    expect(only(messageToContent(msg, outbound({}, false))).content).toEqual({
      msgtype: 'm.text',
      body: '> In reply to a message that is not in this room\n\nhi',
      format: HTML,
      formatted_body: '<blockquote>In reply to a message that is not in this room</blockquote><b>hi</b>',
    })
  })

  test('a thread message is m.thread with the fallback reply to the thread tail', () => {
    const msg = bridged('text', { relatesTo: { type: 'thread', messageId: TARGET } })
    const relation = {
      rel_type: 'm.thread',
      event_id: '$target',
      is_falling_back: true,
      'm.in_reply_to': { event_id: '$target' },
    }
    expect(only(messageToContent(msg, outbound())).content).toMatchObject({ 'm.relates_to': relation })
    const withTail = outbound({ threadTail: () => '$newest' })
    expect(only(messageToContent(msg, withTail)).content).toMatchObject({
      'm.relates_to': { ...relation, 'm.in_reply_to': { event_id: '$newest' } },
    })
    expect(only(messageToContent(msg, outbound({}, false))).content).toMatchObject({
      body: '> In a thread that is not in this room\n\nhi',
    })
  })
})

describe('edits, reactions, redactions', () => {
  test('an edit is an m.replace with m.new_content and a "* " fallback', () => {
    const msg = bridged('edit', {
      body: { text: 'fixed', html: '<em>fixed</em>' },
      relatesTo: { type: 'edit', messageId: TARGET },
    })
    expect(only(messageToContent(msg, outbound())).content).toEqual({
      msgtype: 'm.text',
      body: '* fixed',
      format: HTML,
      formatted_body: '* <em>fixed</em>',
      'm.new_content': { msgtype: 'm.text', body: 'fixed', format: HTML, formatted_body: '<em>fixed</em>' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$target' },
    })
  })

  test('an edit of a message not in the room goes as a message with a note', () => {
    const msg = bridged('edit', { body: { text: 'fixed' }, relatesTo: { type: 'edit', messageId: TARGET } })
    expect(only(messageToContent(msg, outbound({}, false))).content).toEqual({
      msgtype: 'm.text',
      body: '> Edit of a message that is not in this room\n\nfixed',
    })
  })

  test('a reaction is an m.annotation; to a message not in the room, an emote saying so', () => {
    const msg = bridged('reaction', { relatesTo: { type: 'reaction', messageId: TARGET, key: '👍' } })
    expect(only(messageToContent(msg, outbound()))).toEqual({
      type: 'm.reaction',
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$target', key: '👍' } },
    })
    expect(only(messageToContent(msg, outbound({}, false)))).toEqual({
      type: 'm.room.message',
      content: { msgtype: 'm.emote', body: 'reacted 👍 to a message' },
    })
  })

  test('a redaction names the event it removes, with the reason; of an unknown one, a skip', () => {
    const msg = bridged('redaction', {
      body: { text: 'spam' },
      relatesTo: { type: 'redaction', messageId: TARGET },
    })
    expect(only(messageToContent(msg, outbound()))).toEqual({
      type: 'm.room.redaction',
      redacts: '$target',
      content: { redacts: '$target', reason: 'spam' },
    })
    const silent = bridged('redaction', {
      body: { text: '' },
      relatesTo: { type: 'redaction', messageId: TARGET },
    })
    expect(only(messageToContent(silent, outbound())).content).toEqual({ redacts: '$target' })
    expect(messageToContent(msg, outbound({}, false)).outcome).toBe('skip')
  })
})

describe('media', () => {
  const png = { hash: HASH_A, name: 'cat.png', mediaType: 'image/png', size: 2048 }
  const pdf = { hash: HASH_B, name: 'paper.pdf', mediaType: 'application/pdf', size: 3 * 1024 * 1024 }
  const uploaded = new Map([[HASH_A, 'mxc://example.org/cat' as MxcUri]])

  test('an uploaded image is an m.image with url, filename and info', () => {
    const msg = bridged('media', { body: { text: '' }, attachments: [png] })
    expect(only(messageToContent(msg, outbound({ uploaded })))).toEqual({
      type: 'm.room.message',
      content: {
        msgtype: 'm.image',
        body: 'cat.png',
        filename: 'cat.png',
        url: 'mxc://example.org/cat',
        info: { mimetype: 'image/png', size: 2048 },
      },
    })
  })

  test('the caption rides on the first file (Matrix 1.10); one not uploaded is named in a notice', () => {
    const msg = bridged('media', {
      body: { text: 'look', html: '<b>look</b>' },
      attachments: [png, pdf],
      relatesTo: { type: 'reply', messageId: TARGET },
    })
    const [image, notice, ...rest] = events(messageToContent(msg, outbound({ uploaded })))
    expect(rest).toEqual([])
    expect(image?.content).toMatchObject({
      msgtype: 'm.image',
      body: 'look',
      format: HTML,
      formatted_body: '<b>look</b>',
      filename: 'cat.png',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$target' } },
    })
    expect(notice?.content).toMatchObject({
      msgtype: 'm.notice',
      body: 'A file could not be shown here:\npaper.pdf (application/pdf, 3.0 MiB)',
    })
  })

  test('nothing uploaded: the caption as text, then the notice', () => {
    const msg = bridged('media', { body: { text: 'look' }, attachments: [pdf] })
    const all = events(messageToContent(msg, outbound()))
    expect(all.map((e) => e.content)).toEqual([
      { msgtype: 'm.text', body: 'look' },
      { msgtype: 'm.notice', body: 'A file could not be shown here:\npaper.pdf (application/pdf, 3.0 MiB)' },
    ])
  })

  test('msgtypes follow the media type; SVG goes as a file', () => {
    const types = ['video/mp4', 'audio/ogg', 'application/zip', 'image/svg+xml', 'image/webp']
    const attachments = types.map((mediaType, i) => ({ ...png, hash: String(i).repeat(64), mediaType }))
    const all = new Map(attachments.map((a) => [a.hash, 'mxc://example.org/x' as MxcUri]))
    const msg = bridged('media', { body: { text: '' }, attachments })
    const sent = events(messageToContent(msg, outbound({ uploaded: all })))
    expect(sent.map((e) => (e.content as { msgtype: string }).msgtype)).toEqual([
      'm.video',
      'm.audio',
      'm.file',
      'm.file',
      'm.image',
    ])
  })
})

test('a chain event is a notice summing it up', () => {
  const msg = bridged('chain-event', {
    body: { text: 'Transfer of 5 MFT' },
    chainEvent: {
      chainId: 'eip155:1',
      address: `0x${'12'.repeat(20)}`,
      txHash: `0x${'34'.repeat(32)}`,
      logIndex: 2,
      blockNumber: 100,
      blockHash: `0x${'56'.repeat(32)}`,
      topics: [],
      data: '0x',
      args: {},
    },
  })
  expect(only(messageToContent(msg, outbound())).content).toEqual({
    msgtype: 'm.notice',
    body: `Transfer of 5 MFT\neip155:1 0x${'12'.repeat(20)}, block 100, tx 0x${'34'.repeat(32)} (log 2)`,
  })
})
