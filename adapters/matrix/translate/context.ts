import { Buffer } from 'node:buffer'
import type { MessageId } from '../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../src/core/message.ts'
import { type Refusal, refuse } from './outcome.ts'

/**
 * What inbound translation needs from its caller. Everything is synchronous, so the
 * translation stays pure: the adapter looks up the events an event refers to
 * (`relatedEventIds`) before it translates, then answers from what it found.
 */
export interface InboundContext {
  /** The portal room the event came from: the conversation id of what is made. */
  readonly roomId: string
  /** The bridged message id of an event of this room, or undefined when it never crossed. */
  readonly resolve: (eventId: string) => MessageId | undefined
  /**
   * The Matrix user who sent an event of this room, when known. Matrix lets anyone send an
   * `m.replace` for any event (clients are the ones told to ignore edits by others), so an
   * edit whose sender differs is skipped; without this hook that check falls to the caller.
   */
  readonly senderOf?: (eventId: string) => string | undefined
  /** Largest body carried (text plus HTML, UTF-8 bytes); default 65,536, Matrix's event limit. */
  readonly maxBodyBytes?: number
  /** Largest file accepted by its declared size; absent: only the downloader's limit applies. */
  readonly maxMediaBytes?: number
}

export const DEFAULT_MAX_BODY_BYTES = 65_536

/** The fields every message made from `event` shares. */
export function envelope(
  event: { event_id: string; sender: string; origin_server_ts: number },
  id: MessageId,
  ctx: InboundContext,
): Pick<BridgeMessage, 'id' | 'origin' | 'conversation' | 'timestamp' | 'attachments'> {
  return {
    id,
    origin: { network: 'matrix', nativeId: event.event_id, sender: `matrix:${event.sender}` },
    conversation: { network: 'matrix', id: ctx.roomId },
    timestamp: event.origin_server_ts,
    attachments: [],
  }
}

/** A refusal when text and HTML together pass the body limit, else undefined. */
export function overLimit(ctx: InboundContext, ...parts: (string | undefined)[]): Refusal | undefined {
  const limit = ctx.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  let bytes = 0
  for (const part of parts) if (part !== undefined) bytes += Buffer.byteLength(part, 'utf8')
  if (bytes <= limit) return undefined
  return refuse(
    'MATRIX_BODY_TOO_LARGE',
    `message not bridged: its body is ${bytes.toLocaleString('en')} bytes, the limit is ${limit.toLocaleString('en')}`,
  )
}
