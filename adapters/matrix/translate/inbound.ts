import { BridgeError } from '../../../src/core/errors.ts'
import { type MessageId, messageId } from '../../../src/core/ids.ts'
import { describeIssues } from '../../../src/core/validate.ts'
import type { MediaMsgtype } from './content.ts'
import { envelope, type InboundContext, overLimit } from './context.ts'
import {
  messageContentSchema,
  type RoomEvent,
  reactionContentSchema,
  redactionContentSchema,
  relatesToSchema,
  roomEventSchema,
  stickerContentSchema,
} from './event-schema.ts'
import { mediaMessage, type PendingMedia } from './inbound-media.ts'
import { editMessage, textMessage } from './inbound-text.ts'
import { finish, type Refusal, refuse, type Skip, skip, type Translated } from './outcome.ts'
import { readRelation } from './relation.ts'

export type { InboundContext } from './context.ts'
export type { FetchedMedia, MediaSource, PendingMedia } from './inbound-media.ts'
export { completeMedia } from './inbound-media.ts'

/** What one Matrix event becomes: a message, a media message awaiting its file, or neither. */
export type Inbound = Translated | PendingMedia | Skip | Refusal

const TEXT_KINDS = new Map<string, 'text' | 'notice' | 'emote'>([
  ['m.text', 'text'],
  ['m.notice', 'notice'],
  ['m.emote', 'emote'],
])
const MEDIA = new Set<string>(['m.image', 'm.file', 'm.video', 'm.audio'])
// Message events that are protocol, not speech: their body is an apology to old clients.
const NOT_SPEECH = new Set(['m.key.verification.request'])
// Reactions are shown as keys; the schema's limit, kept whole graphemes or not.
const MAX_KEY = 64

/**
 * Translates one Matrix room event, as an application service receives it, into the
 * canonical message. Pure: no I/O, all lookups through `ctx`.
 *
 * Never throws for any input: a malformed event is a `refuse` with code
 * `MATRIX_EVENT_INVALID` naming the offending fields, an event that is not a message to
 * bridge a `skip`. Should translation itself fail unexpectedly, the failure is thrown as a
 * BridgeError `MATRIX_EVENT_INVALID` with the cause — never as anything else.
 *
 * @example
 *   const out = eventToMessage(event, { roomId, resolve: (id) => found.get(id) })
 *   if (out.outcome === 'message') await ctx.ingest(out.message)
 */
export function eventToMessage(event: unknown, ctx: InboundContext): Inbound {
  try {
    return translate(event, ctx)
  } catch (cause) {
    if (cause instanceof BridgeError && cause.code === 'MATRIX_EVENT_INVALID') throw cause
    throw new BridgeError('MATRIX_EVENT_INVALID', 'the Matrix event could not be translated', {
      cause,
      status: 422,
      hint: 'the event was not bridged; the cause is in the log',
    })
  }
}

/**
 * The ids of the events `event` refers to (reply, thread root, edited, reacted to,
 * redacted), for the caller to look up in one go before translating. Tolerant: a malformed
 * event refers to nothing.
 */
export function relatedEventIds(event: unknown): string[] {
  const parsed = roomEventSchema.safeParse(event)
  if (!parsed.success) return []
  const { content } = parsed.data
  const ids = new Set<string>()
  const relation = relatesToSchema.safeParse(content['m.relates_to'])
  if (relation.success) {
    if (relation.data.event_id) ids.add(relation.data.event_id)
    const replyTo = relation.data['m.in_reply_to']?.event_id
    if (replyTo) ids.add(replyTo)
  }
  const redaction = redactionContentSchema.safeParse(content)
  const redacts = (redaction.success ? redaction.data.redacts : undefined) ?? parsed.data.redacts
  if (parsed.data.type === 'm.room.redaction' && redacts) ids.add(redacts)
  return [...ids]
}

function translate(raw: unknown, ctx: InboundContext): Inbound {
  const parsed = roomEventSchema.safeParse(raw)
  if (!parsed.success)
    return refuse('MATRIX_EVENT_INVALID', `malformed Matrix event: ${describeIssues(parsed.error.issues)}`)
  const event = parsed.data
  const type = shown(event.type)
  if (event.room_id !== undefined && event.room_id !== ctx.roomId)
    return refuse(
      'MATRIX_EVENT_INVALID',
      `event of room ${shown(event.room_id)} translated for ${ctx.roomId}`,
    )
  // State events are told by state_key, not by type; membership and room state are not messages.
  if (event.state_key !== undefined) return skip(`state event ${type}`)
  if (event.unsigned?.redacted_because !== undefined) return skip(`${type} redacted before it was bridged`)
  const id = messageId('matrix', event.event_id)
  switch (event.type) {
    case 'm.room.message':
      return roomMessage(event, id, ctx)
    case 'm.sticker':
      return sticker(event, id, ctx)
    case 'm.reaction':
      return reaction(event, id, ctx)
    case 'm.room.redaction':
      return redaction(event, id, ctx)
    case 'm.room.encrypted':
      return refuse('MATRIX_ENCRYPTED', 'message not bridged: encrypted messages are not bridged yet')
    default:
      return skip(`event type ${type} is not bridged`)
  }
}

function roomMessage(event: RoomEvent, id: MessageId, ctx: InboundContext): Inbound {
  const parsed = messageContentSchema.safeParse(event.content)
  if (!parsed.success) return invalidContent('m.room.message', parsed.error.issues)
  const content = parsed.data
  const relation = readRelation(content['m.relates_to'])
  if (typeof relation === 'string') return refuse('MATRIX_EVENT_INVALID', `message not bridged: ${relation}`)
  if (relation.type === 'replace') return editMessage(event, content, relation.eventId, id, ctx)
  const { msgtype } = content
  const kind = TEXT_KINDS.get(msgtype)
  if (kind !== undefined) return textMessage(kind, event, content, relation, id, ctx)
  if (MEDIA.has(msgtype)) return mediaMessage(msgtype as MediaMsgtype, event, content, relation, id, ctx)
  if (NOT_SPEECH.has(msgtype)) return skip(`msgtype ${msgtype} is not bridged`)
  // The spec tells clients to show `body` for a msgtype they do not know (m.location,
  // m.server_notice, custom ones): the bridge does the same rather than drop it.
  return textMessage('text', event, content, relation, id, ctx)
}

function sticker(event: RoomEvent, id: MessageId, ctx: InboundContext): Inbound {
  const parsed = stickerContentSchema.safeParse(event.content)
  if (!parsed.success) return invalidContent('m.sticker', parsed.error.issues)
  const relation = readRelation(parsed.data['m.relates_to'])
  if (typeof relation === 'string') return refuse('MATRIX_EVENT_INVALID', `sticker not bridged: ${relation}`)
  // A sticker's body describes the image: it is the name, never a caption.
  const content = { ...parsed.data, filename: undefined }
  return mediaMessage('m.image', event, content, relation, id, ctx)
}

/** `m.reaction` (an `m.annotation`) → a reaction on the bridged message it annotates. */
function reaction(event: RoomEvent, id: MessageId, ctx: InboundContext): Inbound {
  const parsed = reactionContentSchema.safeParse(event.content)
  if (!parsed.success) return invalidContent('m.reaction', parsed.error.issues)
  const { event_id: target, key } = parsed.data['m.relates_to']
  const messageId = ctx.resolve(target)
  if (messageId === undefined) return skip(`reaction to ${target}, a message that was not bridged`)
  const shortKey = clip(key, MAX_KEY)
  return finish({
    ...envelope(event, id, ctx),
    kind: 'reaction',
    body: { text: shortKey },
    relatesTo: { type: 'reaction', messageId, key: shortKey },
  })
}

/** `m.room.redaction` → a redaction of the bridged message (or reaction) it removes. */
function redaction(event: RoomEvent, id: MessageId, ctx: InboundContext): Inbound {
  const parsed = redactionContentSchema.safeParse(event.content)
  if (!parsed.success) return invalidContent('m.room.redaction', parsed.error.issues)
  const target = parsed.data.redacts ?? event.redacts
  if (target === undefined) return refuse('MATRIX_EVENT_INVALID', 'redaction not bridged: no redacts')
  const messageId = ctx.resolve(target)
  if (messageId === undefined) return skip(`redaction of ${target}, an event that was not bridged`)
  const reason = parsed.data.reason ?? ''
  const tooLarge = overLimit(ctx, reason)
  if (tooLarge) return tooLarge
  return finish({
    ...envelope(event, id, ctx),
    kind: 'redaction',
    body: { text: reason },
    relatesTo: { type: 'redaction', messageId },
  })
}

function invalidContent(type: string, issues: Parameters<typeof describeIssues>[0]): Refusal {
  const where = issues.map((issue) => ({ ...issue, path: ['content', ...issue.path] }))
  return refuse('MATRIX_EVENT_INVALID', `malformed ${type}: ${describeIssues(where)}`)
}

/** At most `max` UTF-16 units, cut between code points, with an ellipsis when cut. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text
  let out = ''
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break
    out += ch
  }
  return `${out}…`
}

/** An id or type from the event, quoted and cut for a log line. */
function shown(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
}
