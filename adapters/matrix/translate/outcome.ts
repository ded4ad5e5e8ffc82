import { BridgeError, type HttpStatus } from '../../../src/core/errors.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../../src/core/message.ts'
import { describeIssues } from '../../../src/core/validate.ts'

/**
 * What a translation returns when it does not yield a message. Two cases, kept apart
 * because the room sees them differently:
 * - a **skip** is an event that is not a message to bridge (room state, a typing
 *   notification, an edit of a message that never crossed): logged, nothing said in the room;
 * - a **refusal** is a message someone sent that will not arrive on the other side (too
 *   large, malformed, encrypted): the adapter answers it with an `m.notice` giving `reason`,
 *   so that no message is lost in silence.
 * Reasons name the rule broken, never the message's text (they reach logs).
 */
export interface Skip {
  readonly outcome: 'skip'
  readonly reason: string
}

export type RefusalCode =
  | 'MATRIX_EVENT_INVALID'
  | 'MATRIX_BODY_TOO_LARGE'
  | 'MATRIX_MEDIA_TOO_LARGE'
  | 'MATRIX_ENCRYPTED'

export interface Refusal {
  readonly outcome: 'refuse'
  readonly code: RefusalCode
  readonly reason: string
}

/** A message made from the event, valid by the canonical schema. */
export interface Translated {
  readonly outcome: 'message'
  readonly message: BridgeMessage
}

export const skip = (reason: string): Skip => ({ outcome: 'skip', reason })

export const refuse = (code: RefusalCode, reason: string): Refusal => ({ outcome: 'refuse', code, reason })

const STATUS: Record<RefusalCode, HttpStatus> = {
  MATRIX_EVENT_INVALID: 422,
  MATRIX_BODY_TOO_LARGE: 413,
  MATRIX_MEDIA_TOO_LARGE: 413,
  MATRIX_ENCRYPTED: 422,
}

const HINT: Record<RefusalCode, string> = {
  MATRIX_EVENT_INVALID: 'the event does not have the shape the Matrix spec gives it; it was not bridged',
  MATRIX_BODY_TOO_LARGE: 'send the text in smaller parts, or as a file',
  MATRIX_MEDIA_TOO_LARGE: 'share a link to the file instead, or raise the bridge media limit',
  MATRIX_ENCRYPTED: 'encrypted rooms are not bridged yet; bridge an unencrypted room',
}

/** The refusal as a (permanent) BridgeError, for the log and for answers that need one. */
export function refusalError(refusal: Refusal): BridgeError {
  return new BridgeError(refusal.code, refusal.reason, {
    hint: HINT[refusal.code],
    status: STATUS[refusal.code],
    retryable: false,
  })
}

/**
 * Checks a message made from an event against the canonical schema, so that what leaves
 * the translation is always ingestible; what fails (a sender id the address grammar
 * refuses, say) is a refusal naming the fields.
 */
export function finish(candidate: BridgeMessage): Translated | Refusal {
  const parsed = bridgeMessageSchema.safeParse(candidate)
  if (parsed.success) return { outcome: 'message', message: parsed.data }
  return refuse('MATRIX_EVENT_INVALID', `message not bridged: ${describeIssues(parsed.error.issues)}`)
}
