import { BridgeError } from '../../src/core/errors.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../src/core/message.ts'

/**
 * The payload of a bridged message on the Mainframe wire (inside the sealed direct message,
 * docs/wire.md "Bridged message payload"): version `0x01`, then the BridgeMessage as UTF-8
 * JSON with its keys in schema order. The JSON is re-validated on receipt: a peer is not
 * trusted to send a well-formed message.
 */
export const PAYLOAD_VERSION = 0x01

export function encodePayload(msg: BridgeMessage): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(msg))
  const out = new Uint8Array(1 + json.length)
  out[0] = PAYLOAD_VERSION
  out.set(json, 1)
  return out
}

/**
 * @throws MAINFRAME_PAYLOAD_INVALID (status 400, not retryable) naming what was wrong: unknown
 *   version, bytes that are not UTF-8 JSON, or a message the schema refuses (with its issues).
 */
export function decodePayload(bytes: Uint8Array): BridgeMessage {
  if (bytes.length === 0 || bytes[0] !== PAYLOAD_VERSION)
    throw invalid(
      `unknown payload version 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}: this bridge reads 0x01`,
    )
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(1)))
  } catch {
    throw invalid('the payload is not UTF-8 JSON')
  }
  const parsed = bridgeMessageSchema.safeParse(json)
  if (!parsed.success)
    throw invalid(
      `the payload is not a valid message: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    )
  return parsed.data
}

function invalid(detail: string): BridgeError {
  return new BridgeError('MAINFRAME_PAYLOAD_INVALID', detail, {
    hint: 'the sending bridge runs an incompatible version; the message was refused',
    status: 400,
  })
}
