import type { MessageId } from '../../../src/core/ids.ts'
import type { RelatesTo } from './event-schema.ts'

/** What an `m.relates_to` means, read once so that the rest works on one closed set. */
export type MatrixRelation =
  | { readonly type: 'none' }
  | { readonly type: 'reply'; readonly eventId: string }
  /**
   * In a thread. `replyTo` is the event the message answers inside it, when it really
   * answers one; `fallback` is the spec's `is_falling_back` reply target, kept only to place
   * the message when the root never crossed the bridge.
   */
  | {
      readonly type: 'thread'
      readonly rootId: string
      readonly replyTo?: string
      readonly fallback?: string
    }
  | { readonly type: 'replace'; readonly eventId: string }

/** Reads a relation; a string names what is wrong with it. */
export function readRelation(relatesTo: RelatesTo | undefined): MatrixRelation | string {
  if (relatesTo === undefined) return { type: 'none' }
  const replyTo = relatesTo['m.in_reply_to']?.event_id
  switch (relatesTo.rel_type) {
    case 'm.replace':
      return relatesTo.event_id
        ? { type: 'replace', eventId: relatesTo.event_id }
        : 'm.replace relation without event_id'
    case 'm.thread': {
      if (!relatesTo.event_id) return 'm.thread relation without event_id (the thread root)'
      const to = replyTo === undefined ? {} : relatesTo.is_falling_back ? { fallback: replyTo } : { replyTo }
      return { type: 'thread', rootId: relatesTo.event_id, ...to }
    }
    default:
      // Other relation types (m.reference, unstable ones) say nothing the bridge carries;
      // a reply alongside them is still a reply.
      return replyTo === undefined ? { type: 'none' } : { type: 'reply', eventId: replyTo }
  }
}

/** The reply or thread of the BridgeMessage schema, which holds one of the two. */
export type Conversational = { readonly type: 'reply' | 'thread'; readonly messageId: MessageId }

/**
 * Maps a reply or thread onto the schema's single `relatesTo`, through `resolve` (Matrix
 * event id → bridged message id). A thread wins over a reply inside it: a message out of
 * its thread is more lost than one that lacks its quote. Targets that never crossed the
 * bridge are dropped — the message itself still goes, as a plain one.
 */
export function conversational(
  relation: MatrixRelation,
  resolve: (eventId: string) => MessageId | undefined,
): Conversational | undefined {
  const reply = (eventId: string | undefined): Conversational | undefined => {
    const messageId = eventId === undefined ? undefined : resolve(eventId)
    return messageId === undefined ? undefined : { type: 'reply', messageId }
  }
  switch (relation.type) {
    case 'reply':
      return reply(relation.eventId)
    case 'thread': {
      const root = resolve(relation.rootId)
      if (root !== undefined) return { type: 'thread', messageId: root }
      return reply(relation.replyTo ?? relation.fallback)
    }
    default:
      return undefined
  }
}
