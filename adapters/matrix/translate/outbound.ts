import type { BridgeMessage } from '../../../src/core/message.ts'
import {
  type Formatted,
  formatted,
  type OutgoingEvent,
  prefixed,
  type Relation,
  type TextContent,
  withNote,
} from './content.ts'
import type { MxcUri } from './mxc.ts'
import { mediaEvents } from './outbound-media.ts'
import { type Skip, skip } from './outcome.ts'

export type { EditContent, MediaContent, OutgoingEvent, TextContent } from './content.ts'

/** What outbound translation needs from its caller; synchronous, like the inbound side's. */
export interface OutboundContext {
  /** The Matrix event id a bridged message has in this room (sent there, or come from there). */
  readonly resolve: (messageId: string) => string | undefined
  /**
   * The newest event of the thread with this root, which the spec's fallback reply of a
   * thread message points at (for clients without threads); the root itself when absent.
   */
  readonly threadTail?: (rootEventId: string) => string | undefined
  /** The mxc URIs of attachments already uploaded to the homeserver, by attachment hash. */
  readonly uploaded?: ReadonlyMap<string, MxcUri>
}

/** The events to send for one message, in order (more than one for several attachments). */
export interface Send {
  readonly outcome: 'send'
  readonly events: readonly [OutgoingEvent, ...OutgoingEvent[]]
}

export type Outbound = Send | Skip

/**
 * Translates a canonical message into the Matrix events a ghost sends for it. Pure; never
 * throws for a valid BridgeMessage. HTML is sanitized again here, whatever its origin.
 *
 * Nothing is dropped in silence: a reply or thread whose target is not in the room goes as a
 * plain message with a quoted note; an edit of such a message as a new message with a note;
 * a reaction to it as an emote ("reacted 👍 to a message"); a file that was not uploaded as
 * a notice naming it; a chain event as a notice. Only a redaction of a message the room never
 * had is a `skip` — there is nothing to remove.
 *
 * @example
 *   const out = messageToContent(msg, { resolve: (id) => eventIds.get(id), uploaded })
 *   if (out.outcome === 'send') for (const e of out.events) await send(roomId, e)
 */
export function messageToContent(msg: BridgeMessage, ctx: OutboundContext): Outbound {
  switch (msg.kind) {
    case 'text':
    case 'notice':
    case 'emote': {
      const { relation, note } = place(msg.relatesTo, ctx)
      return send({
        type: 'm.room.message',
        content: text(MSGTYPE[msg.kind], withNote(formatted(msg.body), note), relation),
      })
    }
    case 'media': {
      const { relation, note } = place(msg.relatesTo, ctx)
      return send(...mediaEvents(msg, relation, note, ctx.uploaded ?? new Map()))
    }
    case 'edit':
      return edit(msg, ctx)
    case 'reaction': {
      const target = ctx.resolve(msg.relatesTo.messageId)
      const { key } = msg.relatesTo
      if (target === undefined)
        return send({
          type: 'm.room.message',
          content: text('m.emote', { body: `reacted ${key} to a message` }),
        })
      return send({
        type: 'm.reaction',
        content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key } },
      })
    }
    case 'redaction': {
      const target = ctx.resolve(msg.relatesTo.messageId)
      if (target === undefined)
        return skip(`redaction of ${msg.relatesTo.messageId}, which is not in this room`)
      const reason = msg.body.text.trim()
      return send({
        type: 'm.room.redaction',
        redacts: target,
        content: reason === '' ? { redacts: target } : { redacts: target, reason },
      })
    }
    case 'chain-event':
      return send({ type: 'm.room.message', content: text('m.notice', { body: chainSummary(msg) }) })
  }
}

const MSGTYPE = { text: 'm.text', notice: 'm.notice', emote: 'm.emote' } as const

const NOTE = {
  reply: 'In reply to a message that is not in this room',
  thread: 'In a thread that is not in this room',
  edit: 'Edit of a message that is not in this room',
}

function send(...events: [OutgoingEvent, ...OutgoingEvent[]]): Send {
  return { outcome: 'send', events }
}

function text(msgtype: TextContent['msgtype'], body: Formatted, relation?: Relation): TextContent {
  return relation === undefined ? { msgtype, ...body } : { msgtype, ...body, 'm.relates_to': relation }
}

/** Where a reply or thread message goes: its relation, or a note when its target is not here. */
function place(
  relatesTo: Extract<BridgeMessage, { kind: 'text' }>['relatesTo'],
  ctx: OutboundContext,
): { relation?: Relation; note?: string } {
  if (relatesTo === undefined) return {}
  const target = ctx.resolve(relatesTo.messageId)
  if (target === undefined) return { note: NOTE[relatesTo.type] }
  if (relatesTo.type === 'reply') return { relation: { 'm.in_reply_to': { event_id: target } } }
  const tail = ctx.threadTail?.(target) ?? target
  return {
    relation: {
      rel_type: 'm.thread',
      event_id: target,
      is_falling_back: true,
      'm.in_reply_to': { event_id: tail },
    },
  }
}

/** An `m.replace` with the new body in `m.new_content` and a `* `-prefixed fallback body. */
function edit(msg: Extract<BridgeMessage, { kind: 'edit' }>, ctx: OutboundContext): Send {
  const body = formatted(msg.body)
  const target = ctx.resolve(msg.relatesTo.messageId)
  if (target === undefined)
    return send({ type: 'm.room.message', content: text('m.text', withNote(body, NOTE.edit)) })
  return send({
    type: 'm.room.message',
    content: {
      msgtype: 'm.text',
      ...prefixed(body, '* '),
      'm.new_content': { msgtype: 'm.text', ...body },
      'm.relates_to': { rel_type: 'm.replace', event_id: target },
    },
  })
}

function chainSummary(msg: Extract<BridgeMessage, { kind: 'chain-event' }>): string {
  const e = msg.chainEvent
  const head = msg.body.text.trim() === '' ? 'Chain event' : msg.body.text
  return `${head}\n${e.chainId} ${e.address}, block ${e.blockNumber}, tx ${e.txHash} (log ${e.logIndex})`
}
