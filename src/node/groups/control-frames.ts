import { BridgeError } from '../../core/errors.ts'
import { PAYLOAD_KINDS } from '../payload-kinds.ts'
import { FrameReader, FrameWriter } from './frame-io.ts'

/**
 * Group control payloads: what the group service sends as direct messages
 * (docs/wire-groups.md). Byte 0 is PAYLOAD_KINDS.groupControl (the node routes on it), byte 1
 * the format version, byte 2 the type; integers are unsigned big-endian, variable fields
 * length-prefixed, nothing may follow the last field.
 *
 *   welcome  groupId(32) ‖ epoch u64 ‖ topic (u8 len, 64 lower-hex chars) ‖ welcome (u32 len)
 *   commit   groupId(32) ‖ epoch u64 (the epoch it moves the group from) ‖ commit (u32 len)
 *   message  groupId(32) ‖ epoch u64 (the epoch it was sent in) ‖ ciphertext (u32 len)
 */

export const CONTROL_VERSION = 0x01
export const GROUP_ID_BYTES = 32
/** The largest MLS blob (welcome, commit, ciphertext) a control payload carries. */
export const MAX_MLS_BYTES = 8 * 1024 * 1024
const TOPIC = /^[0-9a-f]{64}$/

/** A decoded control payload. */
export type ControlPayload =
  | { type: 'welcome'; groupId: Uint8Array; epoch: bigint; topic: string; welcome: Uint8Array }
  | { type: 'commit'; groupId: Uint8Array; epoch: bigint; commit: Uint8Array }
  | { type: 'message'; groupId: Uint8Array; epoch: bigint; ciphertext: Uint8Array }

type ControlType = ControlPayload['type']
const TYPES: readonly ControlType[] = ['welcome', 'commit', 'message']

/**
 * The bytes of one control payload, ready for the node's `send`.
 * @throws GROUP_CONTROL_INVALID (status 500, a bug of the caller) on a field the format
 *   cannot carry (group id not 32 bytes, epoch out of u64, topic not 64 hex chars, a blob
 *   empty or over MAX_MLS_BYTES, an unknown type).
 * @example encodeControl({ type: 'commit', groupId, epoch: 3n, commit }) // 02 01 02 …
 */
export function encodeControl(payload: ControlPayload): Uint8Array {
  const type = (payload as { type: unknown }).type
  const index = TYPES.indexOf(type as ControlType)
  const w = new FrameWriter(Uint8Array.of(PAYLOAD_KINDS.groupControl, CONTROL_VERSION, index + 1), (detail) =>
    encodeBug(String(type), detail),
  )
  if (index < 0) throw w.bad(`unknown type ${JSON.stringify(type)}`)
  w.fixed('groupId', payload.groupId, GROUP_ID_BYTES)
  w.u64('epoch', payload.epoch)
  switch (payload.type) {
    case 'welcome':
      w.text('topic', 1, payload.topic, 64, 64, TOPIC)
      w.bytes('welcome', 4, payload.welcome, 1, MAX_MLS_BYTES)
      break
    case 'commit':
      w.bytes('commit', 4, payload.commit, 1, MAX_MLS_BYTES)
      break
    case 'message':
      w.bytes('ciphertext', 4, payload.ciphertext, 1, MAX_MLS_BYTES)
      break
  }
  return w.finish()
}

/**
 * The control payload in `bytes` (a whole direct payload, kind byte included).
 * @throws GROUP_CONTROL_INVALID (status 400, not retryable) naming the field: another kind
 *   byte, an unknown version or type, truncation, a bad length, trailing bytes. Never
 *   anything else, whatever the bytes.
 */
export function decodeControl(bytes: Uint8Array): ControlPayload {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected bytes')
  if (bytes.length < 3) throw invalid(`${bytes.length} bytes, shorter than its header`)
  if (bytes[0] !== PAYLOAD_KINDS.groupControl) throw invalid(`payload kind ${bytes[0]}, not group control`)
  if (bytes[1] !== CONTROL_VERSION)
    throw invalid(`version ${bytes[1]}, this node reads version ${CONTROL_VERSION}`)
  const type = TYPES[(bytes[2] as number) - 1]
  if (type === undefined) throw invalid(`unknown type ${bytes[2]}`)
  const r = new FrameReader(bytes, 3, (detail) => invalid(`${type}: ${detail}`))
  const groupId = r.take('groupId', GROUP_ID_BYTES)
  const epoch = r.u64('epoch')
  let payload: ControlPayload
  switch (type) {
    case 'welcome': {
      const topic = r.text('topic', 1, 64, 64, TOPIC)
      payload = { type, groupId, epoch, topic, welcome: r.bytes('welcome', 4, 1, MAX_MLS_BYTES) }
      break
    }
    case 'commit':
      payload = { type, groupId, epoch, commit: r.bytes('commit', 4, 1, MAX_MLS_BYTES) }
      break
    case 'message':
      payload = { type, groupId, epoch, ciphertext: r.bytes('ciphertext', 4, 1, MAX_MLS_BYTES) }
      break
  }
  r.end()
  return payload
}

function invalid(detail: string): BridgeError {
  return new BridgeError('GROUP_CONTROL_INVALID', `group control payload refused: ${detail}`, {
    hint: 'the sender runs another version or sent garbage; the payload is dropped (docs/wire-groups.md)',
    status: 400,
  })
}

function encodeBug(type: string, detail: string): BridgeError {
  return new BridgeError('GROUP_CONTROL_INVALID', `cannot encode a group control ${type}: ${detail}`, {
    hint: 'this is a bug of the caller: check the field against docs/wire-groups.md',
    status: 500,
  })
}
