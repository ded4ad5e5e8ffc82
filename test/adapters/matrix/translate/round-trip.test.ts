import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import type { InboundContext } from '../../../../adapters/matrix/translate/inbound.ts'
import {
  messageToContent,
  type OutboundContext,
  type OutgoingEvent,
} from '../../../../adapters/matrix/translate/outbound.ts'
import { cleanHtml } from '../../../../adapters/matrix/translate/sanitize.ts'
import { messageId } from '../../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../../src/core/message.ts'
import { bridged, hostileHtml, message, ROOM, roomEvent } from './fixtures.ts'

const HTML = 'org.matrix.custom.html'
// One earlier message, known on both sides: our id TARGET is Matrix event $target.
const TARGET = messageId('webhook', 'earlier')
const there: OutboundContext = { resolve: (id) => (id === TARGET ? '$target' : undefined) }
const back: InboundContext = { roomId: ROOM, resolve: (id) => (id === '$target' ? TARGET : undefined) }

/** The one event a message becomes. */
function sent(msg: BridgeMessage): OutgoingEvent {
  const out = messageToContent(msg, there)
  if (out.outcome !== 'send' || out.events.length !== 1) throw new Error(JSON.stringify(out))
  return out.events[0] as OutgoingEvent
}

/** That event as the homeserver would hand it back. */
const echoed = (e: OutgoingEvent, eventId = '$echo') =>
  roomEvent({
    event_id: eventId,
    type: e.type,
    content: e.content,
    ...(e.type === 'm.room.redaction' ? { redacts: e.redacts } : {}),
  })

const html = fc.option(fc.oneof(hostileHtml, fc.string({ maxLength: 80 })), { nil: undefined })

describe('Matrix → bridge → Matrix', () => {
  test.prop([fc.constantFrom('m.text', 'm.notice', 'm.emote'), fc.string({ maxLength: 200 }), html], {
    numRuns: 300,
  })('text-like events keep msgtype, text and (sanitized) HTML', (msgtype, body, formatted) => {
    const content =
      formatted === undefined ? { msgtype, body } : { msgtype, body, format: HTML, formatted_body: formatted }
    const msg = message(roomEvent({ content }))
    const expectedHtml = cleanHtml(formatted)
    expect(msg.body.html).toBe(expectedHtml)
    if (body.trim() !== '' || expectedHtml === undefined) expect(msg.body.text).toBe(body)
    const out = sent(msg)
    expect(out.type).toBe('m.room.message')
    expect(out.content).toMatchObject({ msgtype, body: msg.body.text })
    expect((out.content as { formatted_body?: string }).formatted_body).toBe(expectedHtml)
    // And back once more: nothing drifts.
    const again = message(echoed(out))
    expect(again.kind).toBe(msg.kind)
    expect(again.body).toEqual(msg.body)
  })
})

describe('bridge → Matrix → bridge', () => {
  const relatesTo = fc.option(
    fc.constantFrom('reply', 'thread').map((type) => ({ type, messageId: TARGET }) as const),
    { nil: undefined },
  )
  // A text opening with "> <@user>" would read as an old reply fallback (no client writes
  // one), and a blank text beside HTML is read from the HTML: both are left out.
  const text = fc
    .string({ minLength: 1, maxLength: 200 })
    .filter((t) => t.trim() !== '' && !t.startsWith('> <@') && !t.startsWith('> * <@'))

  test.prop([fc.constantFrom('text', 'notice', 'emote'), text, html, relatesTo], { numRuns: 300 })(
    'text, notice and emote keep kind, text, sanitized HTML and relation',
    (kind, body, formatted, relation) => {
      const msg = bridged(kind, {
        body: formatted === undefined ? { text: body } : { text: body, html: formatted },
        ...(relation ? { relatesTo: relation } : {}),
      })
      const again = message(echoed(sent(msg)), back)
      expect(again.kind).toBe(kind)
      expect(again.body.text).toBe(body)
      expect(again.body.html).toBe(cleanHtml(formatted))
      expect('relatesTo' in again ? again.relatesTo : undefined).toEqual(relation)
    },
  )

  test('an edit, a reaction and a redaction come back as themselves', () => {
    const edit = bridged('edit', {
      body: { text: 'new', html: '<i>new</i>' },
      relatesTo: { type: 'edit', messageId: TARGET },
    })
    expect(message(echoed(sent(edit)), back)).toMatchObject({
      kind: 'edit',
      body: edit.body,
      relatesTo: edit.relatesTo,
    })
    const reaction = bridged('reaction', {
      body: { text: '🎉' },
      relatesTo: { type: 'reaction', messageId: TARGET, key: '🎉' },
    })
    expect(message(echoed(sent(reaction)), back)).toMatchObject({
      kind: 'reaction',
      relatesTo: reaction.relatesTo,
    })
    const redaction = bridged('redaction', {
      body: { text: 'oops' },
      relatesTo: { type: 'redaction', messageId: TARGET },
    })
    expect(message(echoed(sent(redaction)), back)).toMatchObject({
      kind: 'redaction',
      body: { text: 'oops' },
      relatesTo: redaction.relatesTo,
    })
  })
})
