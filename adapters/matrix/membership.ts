import { messageId } from '../../src/core/ids.ts'
import type { BridgeMessage } from '../../src/core/message.ts'

/**
 * Membership changes of people in a portal room, as notices for the other side: "Alice joined
 * the room", "Bob left the room", "Carol was removed by Alice". Pure. A change that is not a
 * change of membership (a new display name, a repeated join) is nothing.
 */
export function membershipNotice(event: unknown, roomId: string): BridgeMessage | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const e = event as Record<string, unknown>
  const content = (e.content ?? {}) as Record<string, unknown>
  const prev = ((e.unsigned as Record<string, unknown> | undefined)?.prev_content ?? {}) as Record<
    string,
    unknown
  >
  const { event_id: eventId, sender, state_key: member, origin_server_ts: ts } = e
  if (typeof eventId !== 'string' || typeof sender !== 'string' || typeof member !== 'string')
    return undefined
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return undefined
  const now = content.membership
  const before = prev.membership
  if (now === before) return undefined
  const name = shown(typeof content.displayname === 'string' ? content.displayname : undefined, member)
  const by = shown(undefined, sender)
  let text: string | undefined
  if (now === 'join') text = `${name} joined the room`
  else if (now === 'leave' && sender === member)
    text = before === 'invite' ? undefined : `${name} left the room`
  else if (now === 'leave')
    text = before === 'ban' ? `${name} was unbanned by ${by}` : `${name} was removed by ${by}`
  else if (now === 'ban') text = `${name} was banned by ${by}`
  if (text === undefined) return undefined
  return {
    kind: 'notice',
    id: messageId('matrix', eventId),
    origin: { network: 'matrix', nativeId: eventId, sender: `matrix:${sender}` },
    conversation: { network: 'matrix', id: roomId },
    timestamp: ts,
    body: { text },
    attachments: [],
  }
}

/**
 * A display name when it is plain text of a sane length, else the user id. Control and format
 * characters (bidi overrides among them) are removed: a name must not rearrange the sentence.
 */
function shown(displayName: string | undefined, userId: string): string {
  const clean = displayName?.replace(/[\p{Cc}\p{Cf}]/gu, '').trim()
  return clean && clean.length <= 100 ? clean : userId
}
