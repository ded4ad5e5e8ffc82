import { BridgeError } from '../../src/core/errors.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../src/core/message.ts'
import { concatBytes } from '../../src/crypto/bytes.ts'
import { type NodeIdentity, publicKeyFromPeerId, verifySignature } from '../../src/crypto/identity.ts'
import { peerIdOf, tryPeerKey } from '../../src/crypto/peer.ts'
import { PAYLOAD_KINDS } from '../../src/node/payload-kinds.ts'

/**
 * The payload of a bridged message on the Mainframe wire (inside a sealed direct message or a
 * group message; docs/wire.md "Bridged message payload"). Two forms:
 *
 * - `0x01 ‖ JSON`: the sending node speaks, to the receiving node.
 * - `0x03 ‖ flags ‖ [speaker key 32] ‖ [recipient key 32] ‖ [signature 64] ‖ JSON`: flags bit 0
 *   says a bridge identity (someone of another network) speaks and signs; bit 1 says the
 *   message is addressed to a bridge identity the receiving node hosts. The signature is the
 *   speaker's over "mainframe/speaker/v1" ‖ 0 ‖ context ‖ 0 ‖ the payload without the
 *   signature, where the context is where the message was said: `group:<hex id>` or
 *   `peer:<addressee>` (the recipient identity, else the receiving node). A signed message
 *   therefore cannot be replayed into another group or to another addressee.
 *
 * JSON is the BridgeMessage with its keys in schema order, re-validated on receipt: a peer is
 * not trusted to send a well-formed message.
 */
export const PAYLOAD_VERSION = PAYLOAD_KINDS.bridged
const SPEAKER = 0b01
const RECIPIENT = 0b10
const SIGNATURE = 64
const CONTEXT = 'mainframe/speaker/v1\u0000'

/** Who says a message, and to whom, beyond the node that sends it. */
export interface PayloadParties {
  /** The bridge identity that speaks and signs. */
  readonly speaker?: NodeIdentity
  /** Peer id of the bridge identity the message is for (hosted by the receiving node). */
  readonly recipient?: string
  /** Where it is said: `group:<hex id>` or `peer:<addressee peer id>`; required with a speaker. */
  readonly context?: string
}

/** A decoded payload: the message, and the identities named (peer ids) if any. */
export interface DecodedPayload {
  readonly message: BridgeMessage
  /** The bridge identity whose signature was verified. */
  readonly speaker?: string
  /** The bridge identity it is addressed to. */
  readonly recipient?: string
}

export function encodePayload(msg: BridgeMessage, parties: PayloadParties = {}): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(msg))
  const { speaker, recipient } = parties
  if (speaker === undefined && recipient === undefined)
    return concatBytes(Uint8Array.of(PAYLOAD_VERSION), json)
  const flags = (speaker ? SPEAKER : 0) | (recipient ? RECIPIENT : 0)
  const head = concatBytes(
    Uint8Array.of(PAYLOAD_KINDS.bridgedSigned, flags),
    speaker ? speaker.publicKey : new Uint8Array(0),
    recipient ? publicKeyFromPeerId(recipient) : new Uint8Array(0),
  )
  if (!speaker) return concatBytes(head, json)
  if (parties.context === undefined)
    throw new BridgeError('MAINFRAME_PAYLOAD_INVALID', 'a signed payload needs the context it is said in')
  const signature = speaker.sign(signedBytes(parties.context, head, json))
  return concatBytes(head, signature, json)
}

/**
 * @param contextFor the context the message was received in, given the recipient identity it
 *   names (undefined: none): `group:<hex id>`, or `peer:<recipient ?? this node>`.
 * @throws MAINFRAME_PAYLOAD_INVALID (status 400, not retryable) naming what was wrong: unknown
 *   version or flags, truncation, a key that is not Ed25519, a signature that does not verify
 *   in this context, bytes that are not UTF-8 JSON, or a message the schema refuses.
 */
export function decodePayload(
  bytes: Uint8Array,
  contextFor: (recipient: string | undefined) => string,
): DecodedPayload {
  if (bytes[0] === PAYLOAD_VERSION) return { message: decodeJson(bytes.subarray(1)) }
  if (bytes[0] !== PAYLOAD_KINDS.bridgedSigned)
    throw invalid(
      `unknown payload version 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}: this bridge reads 0x01 and 0x03`,
    )
  const flags = bytes[1] ?? 0
  if (flags === 0 || (flags & ~(SPEAKER | RECIPIENT)) !== 0)
    throw invalid(`unknown payload flags 0b${flags.toString(2)}`)
  let at = 2
  const key = (what: string): string => {
    if (bytes.length < at + 32) throw invalid(`the payload ends inside the ${what} key`)
    const peer = tryPeerKey(bytes.subarray(at, at + 32))
    if (peer === null) throw invalid(`the ${what} key is not an Ed25519 public key`)
    at += 32
    return peerIdOf(peer)
  }
  const speaker = flags & SPEAKER ? key('speaker') : undefined
  const recipient = flags & RECIPIENT ? key('recipient') : undefined
  if (speaker === undefined) return { message: decodeJson(bytes.subarray(at)), recipient }
  if (bytes.length < at + SIGNATURE) throw invalid('the payload ends inside the signature')
  const head = bytes.subarray(0, at)
  const signature = bytes.subarray(at, at + SIGNATURE)
  const json = bytes.subarray(at + SIGNATURE)
  if (!verifySignature(bytes.subarray(2, 34), signedBytes(contextFor(recipient), head, json), signature))
    throw invalid(`the speaker's signature does not verify here (${speaker.slice(0, 16)}…)`)
  return recipient === undefined
    ? { message: decodeJson(json), speaker }
    : { message: decodeJson(json), speaker, recipient }
}

function signedBytes(context: string, head: Uint8Array, json: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(`${CONTEXT}${context}\u0000`), head, json)
}

function decodeJson(bytes: Uint8Array): BridgeMessage {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
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
    hint: 'the sending bridge runs an incompatible version or the payload was forged; it was refused',
    status: 400,
  })
}
