import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { InvalidInputError } from './errors.ts'

/**
 * Deterministic message ids.
 *
 * The id of a message is `m` + 40 hex digits of SHA-256(network ‖ 0x00 ‖ nativeId): the same
 * inbound event always maps to the same id, so it is the idempotency key of the whole
 * pipeline. The leading letter keeps it from ever being all digits and it has no `:`, so it
 * is a valid BullMQ job id as it is.
 */
export type MessageId = string & { readonly __brand: 'MessageId' }

const NETWORK = /^[a-z][a-z0-9-]{0,31}$/
const MESSAGE_ID = /^m[0-9a-f]{40}$/

/** The message id of a native event; throws InvalidInputError for an empty native id or a bad network name. */
export function messageId(network: string, nativeId: string): MessageId {
  if (!NETWORK.test(network))
    throw new InvalidInputError('NETWORK_INVALID', `invalid network name "${network}"`, {
      hint: 'a network name is lower-case letters, digits and dashes, starting with a letter',
    })
  if (nativeId.length === 0)
    throw new InvalidInputError('NATIVE_ID_EMPTY', `empty native id for network "${network}"`, {
      hint: 'every inbound event needs the id its own network gave it',
    })
  const digest = sha256(utf8ToBytes(`${network}\u0000${nativeId}`))
  return `m${bytesToHex(digest.subarray(0, 20))}` as MessageId
}

/** Whether a string has the shape of a message id. */
export function isMessageId(value: string): value is MessageId {
  return MESSAGE_ID.test(value)
}

/** Validates a message id from outside (an API path, a job); throws InvalidInputError. */
export function parseMessageId(value: string): MessageId {
  if (!isMessageId(value))
    throw new InvalidInputError('MESSAGE_ID_INVALID', `invalid message id "${value.slice(0, 80)}"`, {
      hint: 'a message id is "m" followed by 40 lower-case hex digits',
    })
  return value
}
