import type { BridgeMessage } from '../../../src/core/message.ts'
import type { MxcUri } from './mxc.ts'
import { htmlToPlainText } from './plain-text.ts'
import { cleanHtml } from './sanitize.ts'

/**
 * The Matrix event contents the bridge sends as a ghost, as types: `format` and
 * `formatted_body` come together or not at all, an edit always has its `m.new_content` and
 * target, a redaction always names the event it removes.
 */

export const HTML = 'org.matrix.custom.html'

export type MediaMsgtype = 'm.image' | 'm.file' | 'm.video' | 'm.audio'

export type Formatted =
  | { readonly body: string }
  | { readonly body: string; readonly format: typeof HTML; readonly formatted_body: string }

export interface InReplyTo {
  readonly 'm.in_reply_to': { readonly event_id: string }
}

/** A thread reply; the `m.in_reply_to` is the spec's fallback for clients without threads. */
export interface InThread extends InReplyTo {
  readonly rel_type: 'm.thread'
  readonly event_id: string
  readonly is_falling_back: true
}

export type Relation = InReplyTo | InThread

export type TextContent = Formatted & {
  readonly msgtype: 'm.text' | 'm.notice' | 'm.emote'
  readonly 'm.relates_to'?: Relation
}

export type EditContent = Formatted & {
  readonly msgtype: 'm.text'
  readonly 'm.new_content': Formatted & { readonly msgtype: 'm.text' }
  readonly 'm.relates_to': { readonly rel_type: 'm.replace'; readonly event_id: string }
}

export type MediaContent = Formatted & {
  readonly msgtype: MediaMsgtype
  /** The file's name; `body` is then a caption when it differs (Matrix 1.10). */
  readonly filename: string
  readonly url: MxcUri
  readonly info: { readonly mimetype: string; readonly size: number }
  readonly 'm.relates_to'?: Relation
}

export type OutgoingEvent =
  | { readonly type: 'm.room.message'; readonly content: TextContent | EditContent | MediaContent }
  | {
      readonly type: 'm.reaction'
      readonly content: {
        readonly 'm.relates_to': {
          readonly rel_type: 'm.annotation'
          readonly event_id: string
          readonly key: string
        }
      }
    }
  | {
      /** Sent with PUT /rooms/{roomId}/redact/{redacts}/{txnId}, `content` as its body. */
      readonly type: 'm.room.redaction'
      readonly redacts: string
      readonly content: { readonly redacts: string; readonly reason?: string }
    }

/**
 * A body as Matrix content: the HTML sanitized again (whatever produced it, it is not
 * trusted here), and when the text is empty but the HTML is not, text read from the HTML.
 */
export function formatted(body: BridgeMessage['body']): Formatted {
  const html = cleanHtml(body.html)
  if (html === undefined) return { body: body.text }
  return { body: body.text === '' ? htmlToPlainText(html) : body.text, format: HTML, formatted_body: html }
}

/** The body with a line in front of it (a quoted note in text, a blockquote in HTML). */
export function withNote(content: Formatted, note: string | undefined): Formatted {
  if (note === undefined) return content
  const body = content.body === '' ? `> ${note}` : `> ${note}\n\n${content.body}`
  if (!('formatted_body' in content)) return { body }
  return {
    body,
    format: HTML,
    formatted_body: `<blockquote>${escapeHtml(note)}</blockquote>${content.formatted_body}`,
  }
}

/** The body with `prefix` before both its text and its HTML. */
export function prefixed(content: Formatted, prefix: string): Formatted {
  if (!('formatted_body' in content)) return { body: `${prefix}${content.body}` }
  return {
    body: `${prefix}${content.body}`,
    format: HTML,
    formatted_body: `${escapeHtml(prefix)}${content.formatted_body}`,
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
