import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import {
  completeMedia,
  eventToMessage,
  relatedEventIds,
} from '../../../../adapters/matrix/translate/inbound.ts'
import { refusalError } from '../../../../adapters/matrix/translate/outcome.ts'
import { BridgeError } from '../../../../src/core/errors.ts'
import { bridgeMessageSchema } from '../../../../src/core/message.ts'
import {
  ALICE,
  allowingOnly,
  hostileHtml,
  idOf,
  inbound,
  message,
  outcome,
  ROOM,
  roomEvent,
} from './fixtures.ts'

const HTML = 'org.matrix.custom.html'
const HASH = 'ab'.repeat(32)

describe('text, notice, emote', () => {
  test('m.text → text, with the id, origin, conversation and time of the event', () => {
    expect(message(roomEvent())).toEqual({
      id: idOf('$event1'),
      kind: 'text',
      origin: { network: 'matrix', nativeId: '$event1', sender: `matrix:${ALICE}` },
      conversation: { network: 'matrix', id: ROOM },
      timestamp: 1_700_000_000_000,
      body: { text: 'hello' },
      attachments: [],
    })
  })

  test('m.notice and m.emote keep their kind', () => {
    expect(message(roomEvent({ content: { msgtype: 'm.notice', body: 'n' } })).kind).toBe('notice')
    expect(message(roomEvent({ content: { msgtype: 'm.emote', body: 'waves' } })).kind).toBe('emote')
  })

  test('formatted bodies are sanitized; an unknown format is ignored', () => {
    const content = {
      msgtype: 'm.text',
      body: 'hi there',
      format: HTML,
      formatted_body:
        '<b>hi</b> <a href="javascript:alert(1)">there</a><script>alert(1)</script><img src="https://evil.example/p.png">',
    }
    expect(message(roomEvent({ content })).body).toEqual({ text: 'hi there', html: '<b>hi</b> there' })
    const other = { msgtype: 'm.text', body: 'x', format: 'text/markdown', formatted_body: '**x**' }
    expect(message(roomEvent({ content: other })).body).toEqual({ text: 'x' })
  })

  test('a body that is all fallback is read from the HTML', () => {
    const content = { msgtype: 'm.text', body: '', format: HTML, formatted_body: '<p>only <i>html</i></p>' }
    expect(message(roomEvent({ content })).body).toEqual({
      text: 'only html',
      html: '<p>only <i>html</i></p>',
    })
  })

  test('an unknown msgtype is read as its body, as the spec tells clients to', () => {
    const content = { msgtype: 'm.location', body: 'Location: geo:51.5,-0.1', geo_uri: 'geo:51.5,-0.1' }
    expect(message(roomEvent({ content }))).toMatchObject({
      kind: 'text',
      body: { text: 'Location: geo:51.5,-0.1' },
    })
    const verification = { msgtype: 'm.key.verification.request', body: 'Your client does not support…' }
    expect(outcome(roomEvent({ content: verification }), 'skip').reason).toContain(
      'm.key.verification.request',
    )
  })
})

describe('replies and threads', () => {
  const reply = {
    msgtype: 'm.text',
    body: '> <@bob:example.org> the question\n> on two lines\n\nthe answer',
    format: HTML,
    formatted_body:
      '<mx-reply><blockquote><a href="https://matrix.to/#/!portal:example.org/$q">In reply to</a> <a href="https://matrix.to/#/@bob:example.org">@bob:example.org</a><br>the question</blockquote></mx-reply>the <b>answer</b>',
    'm.relates_to': { 'm.in_reply_to': { event_id: '$q' } },
  }

  test('a reply relates to the bridged message, its fallbacks stripped from text and HTML', () => {
    const msg = message(roomEvent({ content: reply }), inbound(['$q']))
    expect(msg).toMatchObject({
      kind: 'text',
      body: { text: 'the answer', html: 'the <b>answer</b>' },
      relatesTo: { type: 'reply', messageId: idOf('$q') },
    })
  })

  test('a reply to a message that never crossed goes as a plain message, still without fallback', () => {
    const msg = message(roomEvent({ content: reply }))
    expect(msg.body.text).toBe('the answer')
    expect('relatesTo' in msg && msg.relatesTo).toBeFalsy()
  })

  test('a reply without a fallback keeps a quote of its own', () => {
    const content = {
      msgtype: 'm.text',
      body: '> you said\n\nyes',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$q' } },
    }
    expect(message(roomEvent({ content }), inbound(['$q'])).body.text).toBe('> you said\n\nyes')
  })

  test('a thread message (with its fallback reply) relates to the thread root', () => {
    const content = {
      msgtype: 'm.text',
      body: 'in the thread',
      'm.relates_to': {
        rel_type: 'm.thread',
        event_id: '$root',
        is_falling_back: true,
        'm.in_reply_to': { event_id: '$last' },
      },
    }
    expect(message(roomEvent({ content }), inbound(['$root', '$last']))).toMatchObject({
      relatesTo: { type: 'thread', messageId: idOf('$root') },
    })
  })

  test('a real reply inside a thread stays in the thread (the schema holds one relation)', () => {
    const content = {
      msgtype: 'm.text',
      body: 'answer in thread',
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', 'm.in_reply_to': { event_id: '$q' } },
    }
    expect(message(roomEvent({ content }), inbound(['$root', '$q']))).toMatchObject({
      relatesTo: { type: 'thread', messageId: idOf('$root') },
    })
    expect(message(roomEvent({ content }), inbound(['$q']))).toMatchObject({
      relatesTo: { type: 'reply', messageId: idOf('$q') },
    })
  })

  test('a thread relation without its root is refused as malformed', () => {
    const content = { msgtype: 'm.text', body: 'x', 'm.relates_to': { rel_type: 'm.thread' } }
    expect(outcome(roomEvent({ content }), 'refuse').code).toBe('MATRIX_EVENT_INVALID')
  })
})

describe('edits', () => {
  const edit = (over: Record<string, unknown> = {}) => ({
    msgtype: 'm.text',
    body: '* fixed',
    'm.new_content': { msgtype: 'm.text', body: 'fixed', format: HTML, formatted_body: '<em>fixed</em>' },
    'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
    ...over,
  })

  test('m.replace → an edit of the target, with the new content', () => {
    const msg = message(roomEvent({ event_id: '$edit', content: edit() }), inbound(['$orig']))
    expect(msg).toMatchObject({
      id: idOf('$edit'),
      kind: 'edit',
      body: { text: 'fixed', html: '<em>fixed</em>' },
      relatesTo: { type: 'edit', messageId: idOf('$orig') },
    })
  })

  test('an edit of an unbridged message, or by someone else, is skipped', () => {
    expect(outcome(roomEvent({ content: edit() }), 'skip').reason).toContain('not bridged')
    const bySomeoneElse = inbound(['$orig'], { senderOf: () => '@bob:example.org' })
    expect(outcome(roomEvent({ content: edit() }), 'skip', bySomeoneElse).reason).toContain('did not send it')
    const byTheSender = inbound(['$orig'], { senderOf: () => ALICE })
    expect(message(roomEvent({ content: edit() }), byTheSender).kind).toBe('edit')
  })

  test('an edit without m.new_content is refused', () => {
    const content = edit({ 'm.new_content': undefined })
    expect(outcome(roomEvent({ content }), 'refuse', inbound(['$orig'])).reason).toContain('m.new_content')
  })
})

describe('reactions and redactions', () => {
  const react = (key: string) =>
    roomEvent({
      type: 'm.reaction',
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$m', key } },
    })

  test('m.reaction → a reaction on the bridged message', () => {
    expect(message(react('👍'), inbound(['$m']))).toMatchObject({
      kind: 'reaction',
      body: { text: '👍' },
      relatesTo: { type: 'reaction', messageId: idOf('$m'), key: '👍' },
    })
  })

  test('a reaction to an unbridged message is skipped; an over-long key is clipped', () => {
    expect(outcome(react('👍'), 'skip').reason).toContain('$m')
    const long = message(react('🎉'.repeat(40)), inbound(['$m']))
    const key = long.kind === 'reaction' ? long.relatesTo.key : ''
    expect(key.length).toBeLessThanOrEqual(64)
    expect(key.endsWith('🎉…')).toBe(true)
  })

  test('m.room.redaction → a redaction, with redacts in content (v11) or at the top (older rooms)', () => {
    const v11 = roomEvent({ type: 'm.room.redaction', content: { redacts: '$m', reason: 'spam' } })
    expect(message(v11, inbound(['$m']))).toMatchObject({
      kind: 'redaction',
      body: { text: 'spam' },
      relatesTo: { type: 'redaction', messageId: idOf('$m') },
    })
    const v1 = roomEvent({ type: 'm.room.redaction', redacts: '$m', content: {} })
    expect(message(v1, inbound(['$m']))).toMatchObject({ kind: 'redaction', body: { text: '' } })
  })

  test('a redaction of an unbridged event is skipped; one without a target is refused', () => {
    expect(outcome(roomEvent({ type: 'm.room.redaction', content: { redacts: '$x' } }), 'skip').outcome).toBe(
      'skip',
    )
    expect(outcome(roomEvent({ type: 'm.room.redaction', content: {} }), 'refuse').code).toBe(
      'MATRIX_EVENT_INVALID',
    )
  })
})

describe('media', () => {
  const image = (over: Record<string, unknown> = {}) =>
    roomEvent({
      content: {
        msgtype: 'm.image',
        body: 'cat.png',
        url: 'mxc://example.org/AbC123',
        info: { mimetype: 'image/png', size: 2048, w: 10, h: 10 },
        ...over,
      },
    })

  test('m.image → media waiting for its download; completed, a valid message with the attachment', () => {
    const pending = outcome(image(), 'media')
    expect(pending.source).toEqual({
      msgtype: 'm.image',
      url: 'mxc://example.org/AbC123',
      name: 'cat.png',
      mediaType: 'image/png',
      declaredSize: 2048,
    })
    const msg = completeMedia(pending, { hash: HASH, size: 2050 })
    expect(msg).toMatchObject({
      kind: 'media',
      body: { text: '' },
      attachments: [{ hash: HASH, name: 'cat.png', mediaType: 'image/png', size: 2050 }],
    })
    expect(bridgeMessageSchema.safeParse(msg).success).toBe(true)
  })

  test('m.file, m.video, m.audio too; a filename makes the body a caption (Matrix 1.10)', () => {
    for (const msgtype of ['m.file', 'm.video', 'm.audio'])
      expect(outcome(image({ msgtype }), 'media').source.msgtype).toBe(msgtype)
    const captioned = outcome(
      image({ filename: 'cat.png', body: 'my cat', format: HTML, formatted_body: 'my <b>cat</b>' }),
      'media',
    )
    expect(captioned.message.body).toEqual({ text: 'my cat', html: 'my <b>cat</b>' })
    expect(captioned.source.name).toBe('cat.png')
  })

  test('file names lose paths and control characters; odd media types are left to the download', () => {
    const pending = outcome(
      image({ body: '../../etc/pass\u0000wd', info: { mimetype: 'not a type' } }),
      'media',
    )
    expect(pending.source.name).toBe('passwd')
    expect(pending.source.mediaType).toBeUndefined()
    const msg = completeMedia(pending, { hash: HASH, size: 1, mediaType: 'image/gif' })
    expect(msg.attachments[0]?.mediaType).toBe('image/gif')
    expect(() => completeMedia(pending, { hash: 'nope', size: 1 })).toThrow(BridgeError)
  })

  test('a sticker is an image', () => {
    const sticker = roomEvent({
      type: 'm.sticker',
      content: { body: 'a waving cat', url: 'mxc://example.org/st', info: {} },
    })
    expect(outcome(sticker, 'media').source).toMatchObject({ msgtype: 'm.image', name: 'a waving cat' })
  })

  test('refused: no mxc url, encrypted media, a declared size over the limit', () => {
    expect(outcome(image({ url: 'https://evil.example/cat.png' }), 'refuse').code).toBe(
      'MATRIX_EVENT_INVALID',
    )
    expect(outcome(image({ url: undefined, file: { url: 'mxc://x.org/y' } }), 'refuse').code).toBe(
      'MATRIX_ENCRYPTED',
    )
    const limited = inbound([], { maxMediaBytes: 1024 })
    const refusal = outcome(image(), 'refuse', limited)
    expect(refusal.code).toBe('MATRIX_MEDIA_TOO_LARGE')
    expect(refusal.reason).toContain('2,048 bytes')
  })
})

describe('what is not a message', () => {
  test('state events, unknown types and redacted events are skipped', () => {
    const member = roomEvent({ type: 'm.room.member', state_key: ALICE, content: { membership: 'join' } })
    expect(outcome(member, 'skip').reason).toContain('state event')
    expect(outcome(roomEvent({ type: 'm.call.invite', content: {} }), 'skip').reason).toContain(
      'm.call.invite',
    )
    const redacted = roomEvent({ content: {}, unsigned: { redacted_because: { type: 'm.room.redaction' } } })
    expect(outcome(redacted, 'skip').reason).toContain('redacted')
  })

  test('encrypted messages are refused, so the room can be told', () => {
    const encrypted = roomEvent({
      type: 'm.room.encrypted',
      content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' },
    })
    const refusal = outcome(encrypted, 'refuse')
    expect(refusal.code).toBe('MATRIX_ENCRYPTED')
    expect(refusalError(refusal)).toMatchObject({ code: 'MATRIX_ENCRYPTED', retryable: false, status: 422 })
  })
})

describe('hostile and malformed input', () => {
  test('a 65 KiB body is refused with the reason', () => {
    const refusal = outcome(
      roomEvent({ content: { msgtype: 'm.text', body: 'a'.repeat(65 * 1024 + 1) } }),
      'refuse',
    )
    expect(refusal.code).toBe('MATRIX_BODY_TOO_LARGE')
    expect(refusal.reason).toBe('message not bridged: its body is 66,561 bytes, the limit is 65,536')
    expect(refusalError(refusal).status).toBe(413)
  })

  test('the limit counts text and HTML in UTF-8 bytes, and can be set', () => {
    expect(message(roomEvent({ content: { msgtype: 'm.text', body: 'a'.repeat(65_536) } })).kind).toBe('text')
    const content = { msgtype: 'm.text', body: 'é'.repeat(6), format: HTML, formatted_body: 'é' }
    expect(outcome(roomEvent({ content }), 'refuse', inbound([], { maxBodyBytes: 13 })).code).toBe(
      'MATRIX_BODY_TOO_LARGE',
    )
    expect(message(roomEvent({ content }), inbound([], { maxBodyBytes: 14 })).kind).toBe('text')
  })

  test('malformed events are refused, naming what is wrong', () => {
    expect(outcome(roomEvent({ event_id: undefined }), 'refuse').reason).toContain('event_id')
    expect(outcome(roomEvent({ content: { msgtype: 'm.text', body: 42 } }), 'refuse').reason).toContain(
      'content.body',
    )
    expect(outcome(roomEvent({ sender: 'alice' }), 'refuse').reason).toContain('sender')
    expect(outcome(roomEvent({ origin_server_ts: -1 }), 'refuse').code).toBe('MATRIX_EVENT_INVALID')
    expect(outcome('not an event', 'refuse').code).toBe('MATRIX_EVENT_INVALID')
    expect(outcome(roomEvent({ room_id: '!other:example.org' }), 'refuse').reason).toContain(
      '!other:example.org',
    )
  })

  test('a sender the address grammar refuses is refused, not passed on', () => {
    expect(outcome(roomEvent({ sender: '@ålice:example.org' }), 'refuse').reason).toContain('origin.sender')
  })

  test('prototype names are not msgtypes', () => {
    for (const msgtype of ['constructor', 'toString', '__proto__'])
      expect(message(roomEvent({ content: { msgtype, body: 'x' } })).kind).toBe('text')
  })

  const anyJson = fc.jsonValue({ maxDepth: 3 })
  // Mostly well-formed, now and then anything: deep enough to reach every branch.
  const mostly = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: anyJson })
  const rarely = <T>(other: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: other })
  const eventId = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom('$a', '$b', '$c', '$unknown') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    { weight: 1, arbitrary: anyJson },
  )
  const relation = fc.record(
    {
      rel_type: mostly(fc.constantFrom('m.replace', 'm.thread', 'm.annotation', 'm.reference')),
      event_id: eventId,
      key: mostly(fc.string({ maxLength: 80 })),
      is_falling_back: mostly(fc.boolean()),
      'm.in_reply_to': mostly(fc.record({ event_id: eventId })),
    },
    { requiredKeys: [] },
  )
  const text = mostly(fc.oneof(fc.string({ maxLength: 60 }), hostileHtml))
  const content = fc.record(
    {
      msgtype: mostly(
        fc.constantFrom(
          'm.text',
          'm.notice',
          'm.emote',
          'm.image',
          'm.file',
          'm.video',
          'm.audio',
          'm.location',
        ),
      ),
      body: text,
      format: mostly(fc.constant(HTML)),
      formatted_body: text,
      filename: text,
      url: mostly(fc.constantFrom('mxc://example.org/abc', 'https://evil.example/x')),
      file: rarely(anyJson),
      info: mostly(fc.record({ mimetype: text, size: mostly(fc.nat()) }, { requiredKeys: [] })),
      redacts: rarely(eventId),
      reason: text,
      'm.relates_to': mostly(relation),
      'm.new_content': mostly(
        fc.record({
          msgtype: fc.constant('m.text'),
          body: text,
          format: fc.constant(HTML),
          formatted_body: text,
        }),
      ),
    },
    { requiredKeys: ['body'] },
  )
  const eventish = fc.record(
    {
      event_id: eventId,
      type: mostly(
        fc.constantFrom(
          'm.room.message',
          'm.reaction',
          'm.room.redaction',
          'm.sticker',
          'm.room.encrypted',
          'm.call.invite',
        ),
      ),
      sender: mostly(fc.constantFrom(ALICE, '@ålice:x.org', '@bob:[::1]:8448')),
      origin_server_ts: mostly(fc.nat()),
      room_id: mostly(fc.constant(ROOM)),
      redacts: rarely(eventId),
      unsigned: rarely(anyJson),
      state_key: rarely(fc.string({ maxLength: 4 })),
      content: mostly(content),
    },
    { requiredKeys: ['event_id', 'type', 'sender', 'origin_server_ts', 'content'] },
  )
  const everything = inbound(['$a', '$b', '$c'])

  test.prop([fc.oneof(fc.anything(), anyJson, eventish)], { numRuns: 2000 })(
    'any input gives a valid message, a pending media, a skip or a refusal — or MATRIX_EVENT_INVALID, nothing else',
    (input) => {
      expect(Array.isArray(relatedEventIds(input))).toBe(true)
      const out = allowingOnly('MATRIX_EVENT_INVALID', () => eventToMessage(input, everything))
      if (out === undefined) return
      expect(['message', 'media', 'skip', 'refuse']).toContain(out.outcome)
      if (out.outcome === 'message') {
        expect(bridgeMessageSchema.safeParse(out.message).success).toBe(true)
        expect(out.message.body.html ?? '').not.toMatch(/<script|javascript:/i)
      }
      if (out.outcome === 'media') expect(out.source.url).toMatch(/^mxc:\/\//)
      if (out.outcome === 'refuse' || out.outcome === 'skip') expect(out.reason.length).toBeGreaterThan(0)
    },
  )
})

describe('relatedEventIds', () => {
  test('lists what an event refers to, for one lookup before translating', () => {
    const content = {
      msgtype: 'm.text',
      body: 'x',
      'm.relates_to': { rel_type: 'm.thread', event_id: '$root', 'm.in_reply_to': { event_id: '$q' } },
    }
    expect(relatedEventIds(roomEvent({ content }))).toEqual(['$root', '$q'])
    expect(relatedEventIds(roomEvent({ type: 'm.room.redaction', redacts: '$old', content: {} }))).toEqual([
      '$old',
    ])
    expect(relatedEventIds(roomEvent())).toEqual([])
    expect(relatedEventIds(null)).toEqual([])
  })
})
