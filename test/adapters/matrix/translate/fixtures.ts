import { fc } from '@fast-check/vitest'
import { expect } from 'vitest'
import {
  eventToMessage,
  type Inbound,
  type InboundContext,
} from '../../../../adapters/matrix/translate/inbound.ts'
import { BridgeError } from '../../../../src/core/errors.ts'
import { type MessageId, messageId } from '../../../../src/core/ids.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../../../src/core/message.ts'

export const ROOM = '!portal:example.org'
export const ALICE = '@alice:example.org'

/** A Matrix room event as an application service receives it; `over` replaces fields. */
export function roomEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: '$event1',
    type: 'm.room.message',
    sender: ALICE,
    origin_server_ts: 1_700_000_000_000,
    room_id: ROOM,
    content: { msgtype: 'm.text', body: 'hello' },
    ...over,
  }
}

/** The message id a bridged Matrix event has. */
export const idOf = (eventId: string): MessageId => messageId('matrix', eventId)

/** A context that knows the listed events as bridged. */
export function inbound(known: readonly string[] = [], over: Partial<InboundContext> = {}): InboundContext {
  const found = new Set(known)
  return { roomId: ROOM, resolve: (eventId) => (found.has(eventId) ? idOf(eventId) : undefined), ...over }
}

/** Translates and expects a message. */
export function message(event: unknown, ctx: InboundContext = inbound()): BridgeMessage {
  const out = eventToMessage(event, ctx)
  if (out.outcome !== 'message') throw new Error(`expected a message, got ${JSON.stringify(out)}`)
  return out.message
}

/** Translates and expects a result of the given outcome. */
export function outcome<O extends Inbound['outcome']>(
  event: unknown,
  expected: O,
  ctx: InboundContext = inbound(),
): Extract<Inbound, { outcome: O }> {
  const out = eventToMessage(event, ctx)
  expect(out.outcome, JSON.stringify(out)).toBe(expected)
  return out as Extract<Inbound, { outcome: O }>
}

/** Runs `fn`: its result, or undefined when it threw a BridgeError with `code`; any other throw fails. */
export function allowingOnly<T>(code: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe(code)
    return undefined
  }
}

/** A canonical message from somewhere else, to send into Matrix. */
export function bridged<K extends BridgeMessage['kind']>(
  kind: K,
  fields?: Partial<Omit<Extract<BridgeMessage, { kind: K }>, 'kind'>>,
): Extract<BridgeMessage, { kind: K }> {
  return bridgeMessageSchema.parse({
    id: messageId('webhook', 'out-1'),
    kind,
    origin: { network: 'webhook', nativeId: 'out-1', sender: 'mailto:bob@example.com' },
    conversation: { network: 'webhook', id: 'https://hooks.example.com/x' },
    timestamp: 1_700_000_000_000,
    body: { text: 'hi' },
    attachments: [],
    ...fields,
  }) as Extract<BridgeMessage, { kind: K }>
}

// Pieces of hostile HTML, put together at random by the property tests.
export const HOSTILE = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="java\tscript:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<img src="https://evil.example/pixel.png">',
  '<img src=x onerror=alert(1)>',
  '<img src="javascript:alert(1)">',
  '<img src="data:image/png;base64,AAAA">',
  '<svg onload=alert(1)><circle/></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<body onload=alert(1)>',
  '<p onclick="alert(1)" ONMOUSEOVER=alert(1)>p</p>',
  '<b style="background:url(javascript:alert(1))">b</b>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<textarea></textarea><img src=x onerror=alert(1)>',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<object data="javascript:alert(1)"></object>',
  '<details open ontoggle=alert(1)>',
  '<a href="https://ok.example" onfocus=alert(1) autofocus>ok</a>',
  '<mx-reply><blockquote>fallback</blockquote></mx-reply>',
  '<!-- <script>alert(1)</script> -->',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<b>bold</b>',
  '<a href="https://matrix.to/#/@bob:example.org">Bob</a>',
  '<img src="mxc://example.org/abc" alt="cat">',
  '<code class="language-ts">let x</code>',
  '</p>',
  '<',
  '>',
  '"',
  '&',
  'text ',
]

export const hostileHtml = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 })), { maxLength: 12 })
  .map((parts) => parts.join(''))
