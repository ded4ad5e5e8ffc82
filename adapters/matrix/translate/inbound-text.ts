import type { MessageId } from '../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../src/core/message.ts'
import { HTML } from './content.ts'
import { envelope, type InboundContext, overLimit } from './context.ts'
import type { MessageContent, RoomEvent } from './event-schema.ts'
import { finish, type Refusal, refuse, type Skip, skip, type Translated } from './outcome.ts'
import { htmlToPlainText } from './plain-text.ts'
import { conversational, type MatrixRelation } from './relation.ts'
import { stripReplyFallback } from './reply-fallback.ts'
import { cleanHtml } from './sanitize.ts'

type Body = BridgeMessage['body']

/**
 * The bridged body of a text-like content: plain text with any reply fallback removed,
 * and sanitized HTML when the content is formatted. When only a fallback was written as
 * text (or nothing), the text is read from the HTML instead.
 */
export function readBody(
  content: { body: string; format?: string | undefined; formatted_body?: string | undefined },
  isReply: boolean,
): Body {
  const html = content.format === HTML ? cleanHtml(content.formatted_body) : undefined
  const stripped = isReply ? stripReplyFallback(content.body) : content.body
  const text = stripped.trim() === '' && html !== undefined ? htmlToPlainText(html) : stripped
  return html === undefined ? { text } : { text, html }
}

/** Whether the relation carries an `m.in_reply_to`, i.e. whether a fallback may be present. */
export function answers(relation: MatrixRelation): boolean {
  return (
    relation.type === 'reply' ||
    (relation.type === 'thread' && (relation.replyTo ?? relation.fallback) !== undefined)
  )
}

/** `m.text`, `m.notice`, `m.emote` (and unknown msgtypes, read as text) → text, notice, emote. */
export function textMessage(
  kind: 'text' | 'notice' | 'emote',
  event: RoomEvent,
  content: MessageContent,
  relation: MatrixRelation,
  id: MessageId,
  ctx: InboundContext,
): Translated | Refusal {
  const html = content.format === HTML ? content.formatted_body : undefined
  const tooLarge = overLimit(ctx, content.body, html)
  if (tooLarge) return tooLarge
  const relatesTo = conversational(relation, ctx.resolve)
  return finish({
    ...envelope(event, id, ctx),
    kind,
    body: readBody(content, answers(relation)),
    ...(relatesTo ? { relatesTo } : {}),
  })
}

/**
 * An `m.replace` → an edit of the message it replaces, with the body of `m.new_content`
 * (the top-level body is the `* …` fallback for clients without edits). An edit of a message
 * that never crossed, or by someone other than its sender, has nothing to change: skipped.
 */
export function editMessage(
  event: RoomEvent,
  content: MessageContent,
  targetEventId: string,
  id: MessageId,
  ctx: InboundContext,
): Translated | Refusal | Skip {
  const replacement = content['m.new_content']
  if (replacement === undefined)
    return refuse('MATRIX_EVENT_INVALID', 'edit not bridged: m.replace without m.new_content')
  const target = ctx.resolve(targetEventId)
  if (target === undefined) return skip(`edit of ${targetEventId}, a message that was not bridged`)
  const originalSender = ctx.senderOf?.(targetEventId)
  if (originalSender !== undefined && originalSender !== event.sender)
    return skip(`edit of ${targetEventId} by ${event.sender}, who did not send it`)
  const html = replacement.format === HTML ? replacement.formatted_body : undefined
  const tooLarge = overLimit(ctx, replacement.body, html)
  if (tooLarge) return tooLarge
  return finish({
    ...envelope(event, id, ctx),
    kind: 'edit',
    body: readBody(replacement, false),
    relatesTo: { type: 'edit', messageId: target },
  })
}
