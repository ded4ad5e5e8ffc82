import { createHash } from 'node:crypto'
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
 * - `0x03 ‖ flags ‖ [speaker key 32] ‖ [recipient key 32] ‖ [signature 64] ‖ [u32 n] ‖ JSON ‖
 *   [attachments]`: flags bit 0 says a bridge identity (someone of another network) speaks
 *   and signs; bit 1 says the message is addressed to a bridge identity the receiving node
 *   hosts; bit 2 says the bytes of the message's attachments follow the JSON, whose length n
 *   (u32 big-endian) then comes before it. Each attachment, in the JSON's order, is a u32
 *   length ‖ its bytes, or the length FFFFFFFF alone when its bytes are not carried. The
 *   signature is the speaker's over "mainframe/speaker/v1" ‖ 0 ‖ context ‖ 0 ‖ the payload
 *   without the signature, each attachment's bytes replaced by their SHA-256 (so signing does
 *   not copy megabytes), where the context is where the message was said: `group:<hex id>` or
 *   `peer:<addressee>` (the recipient identity, else the receiving node). A signed message
 *   therefore cannot be replayed into another group or to another addressee.
 *
 * JSON is the BridgeMessage with its keys in schema order, re-validated on receipt: a peer is
 * not trusted to send a well-formed message. Each attachment carried must have the SHA-256
 * and size its JSON entry names.
 */
export const PAYLOAD_VERSION = PAYLOAD_KINDS.bridged
const SPEAKER = 0b001
const RECIPIENT = 0b010
const ATTACHMENTS = 0b100
const SIGNATURE = 64
const CONTEXT = 'mainframe/speaker/v1\u0000'
/** The length of an attachment whose bytes are not carried. */
const ABSENT = 0xffff_ffff
/** The most attachments a message has (the BridgeMessage schema's limit). */
const MAX_ATTACHMENTS = 64

/** Who says a message, and to whom, beyond the node that sends it. */
export interface PayloadParties {
  /** The bridge identity that speaks and signs. */
  readonly speaker?: NodeIdentity
  /** Peer id of the bridge identity the message is for (hosted by the receiving node). */
  readonly recipient?: string
  /** Where it is said: `group:<hex id>` or `peer:<addressee peer id>`; required with a speaker. */
  readonly context?: string
}

/**
 * The bytes of a message's attachments, in the order of `msg.attachments`; `undefined` for
 * one whose bytes are not carried (the receiver then has its name, type, size and hash only).
 */
export type AttachmentBytes = readonly (Uint8Array | undefined)[]

/** A decoded payload: the message, the identities named (peer ids) if any, and its files. */
export interface DecodedPayload {
  readonly message: BridgeMessage
  /** The bridge identity whose signature was verified. */
  readonly speaker?: string
  /** The bridge identity it is addressed to. */
  readonly recipient?: string
  /** With flag 2: the attachments' bytes, checked against their hash and size. */
  readonly files?: AttachmentBytes
}

/**
 * Encodes a message; with attachments, their bytes (`files`, default: none carried) go in the
 * `0x03` form with flag 2.
 * @throws MAINFRAME_PAYLOAD_INVALID when `files` does not match `msg.attachments` (count,
 *   size) or a speaker has no context: bugs of the caller.
 */
export function encodePayload(
  msg: BridgeMessage,
  parties: PayloadParties = {},
  files: AttachmentBytes = msg.attachments.map(() => undefined),
): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(msg))
  const { speaker, recipient } = parties
  const carried = msg.attachments.length > 0
  if (speaker === undefined && recipient === undefined && !carried)
    return concatBytes(Uint8Array.of(PAYLOAD_VERSION), json)
  const flags = (speaker ? SPEAKER : 0) | (recipient ? RECIPIENT : 0) | (carried ? ATTACHMENTS : 0)
  const head = concatBytes(
    Uint8Array.of(PAYLOAD_KINDS.bridgedSigned, flags),
    speaker ? speaker.publicKey : new Uint8Array(0),
    recipient ? publicKeyFromPeerId(recipient) : new Uint8Array(0),
  )
  const body = carried ? concatBytes(u32(json.length), json) : json
  const sections = carried ? encodeSections(msg, files) : []
  let signature: Uint8Array = new Uint8Array(0)
  if (speaker) {
    if (parties.context === undefined) throw invalid('a signed payload needs the context it is said in')
    signature = speaker.sign(signedBytes(parties.context, head, body, sections))
  }
  return concatBytes(
    head,
    signature,
    body,
    ...sections.flatMap((s) => (s.bytes ? [s.length, s.bytes] : [s.length])),
  )
}

/**
 * @param contextFor the context the message was received in, given the recipient identity it
 *   names (undefined: none): `group:<hex id>`, or `peer:<recipient ?? this node>`.
 * @throws MAINFRAME_PAYLOAD_INVALID (status 400, not retryable) naming what was wrong: unknown
 *   version or flags, truncation, a key that is not Ed25519, a signature that does not verify
 *   in this context, bytes that are not UTF-8 JSON, a message the schema refuses, or
 *   attachment bytes that are not the ones the message names.
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
  if (flags === 0 || (flags & ~(SPEAKER | RECIPIENT | ATTACHMENTS)) !== 0)
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
  const head = bytes.subarray(0, at)
  let signature: Uint8Array | undefined
  if (speaker !== undefined) {
    if (bytes.length < at + SIGNATURE) throw invalid('the payload ends inside the signature')
    signature = bytes.subarray(at, at + SIGNATURE)
    at += SIGNATURE
  }
  let body = bytes.subarray(at)
  let json = body
  let sections: Section[] = []
  if (flags & ATTACHMENTS) {
    if (bytes.length < at + 4) throw invalid('the payload ends inside the JSON length')
    const length = view(bytes).getUint32(at)
    if (bytes.length < at + 4 + length) throw invalid('the payload ends inside the JSON')
    body = bytes.subarray(at, at + 4 + length)
    json = body.subarray(4)
    sections = decodeSections(bytes, at + 4 + length)
  }
  if (
    signature !== undefined &&
    !verifySignature(
      bytes.subarray(2, 34),
      signedBytes(contextFor(recipient), head, body, sections),
      signature,
    )
  )
    throw invalid(`the speaker's signature does not verify here (${speaker?.slice(0, 16)}…)`)
  const message = decodeJson(json)
  const files = flags & ATTACHMENTS ? checkSections(message, sections) : undefined
  return {
    message,
    ...(speaker === undefined ? {} : { speaker }),
    ...(recipient === undefined ? {} : { recipient }),
    ...(files === undefined ? {} : { files }),
  }
}

/** One attachment section: its length field, and its bytes with their SHA-256 when carried. */
interface Section {
  readonly length: Uint8Array
  readonly bytes?: Uint8Array
  readonly sha256?: Uint8Array
}

function encodeSections(msg: BridgeMessage, files: AttachmentBytes): Section[] {
  if (files.length !== msg.attachments.length)
    throw invalid(`${files.length} attachment bytes given for ${msg.attachments.length} attachments`)
  return msg.attachments.map((attachment, i) => {
    const file = files[i]
    if (file === undefined) return { length: u32(ABSENT) }
    const digest = sha256(file)
    if (file.length !== attachment.size || Buffer.from(digest).toString('hex') !== attachment.hash)
      throw invalid(
        `the bytes given for attachment ${i} are not the file its entry names (SHA-256 or size differ)`,
      )
    return { length: u32(file.length), bytes: file, sha256: digest }
  })
}

function decodeSections(bytes: Uint8Array, from: number): Section[] {
  const sections: Section[] = []
  let at = from
  while (at < bytes.length) {
    if (sections.length === MAX_ATTACHMENTS) throw invalid(`more than ${MAX_ATTACHMENTS} attachments`)
    if (bytes.length < at + 4)
      throw invalid(`the payload ends inside the length of attachment ${sections.length}`)
    const length = bytes.subarray(at, at + 4)
    const size = view(length).getUint32(0)
    at += 4
    if (size === ABSENT) {
      sections.push({ length })
      continue
    }
    if (bytes.length < at + size) throw invalid(`the payload ends inside attachment ${sections.length}`)
    const file = bytes.subarray(at, at + size)
    sections.push({ length, bytes: file, sha256: sha256(file) })
    at += size
  }
  return sections
}

/** The attachments' bytes, once each one carried is found to be the one its entry names. */
function checkSections(message: BridgeMessage, sections: readonly Section[]): AttachmentBytes {
  const { attachments } = message
  if (attachments.length === 0) throw invalid('flag 2 is set but the message has no attachments')
  if (sections.length !== attachments.length)
    throw invalid(`${sections.length} attachment sections for ${attachments.length} attachments`)
  return sections.map((section, i) => {
    const { bytes, sha256: digest } = section
    if (bytes === undefined || digest === undefined) return undefined
    const entry = attachments[i] as (typeof attachments)[number]
    if (bytes.length !== entry.size || Buffer.from(digest).toString('hex') !== entry.hash)
      throw invalid(`attachment ${i} is not the file its entry names (SHA-256 or size differ)`)
    return bytes
  })
}

function signedBytes(
  context: string,
  head: Uint8Array,
  body: Uint8Array,
  sections: readonly Section[],
): Uint8Array {
  const digests = sections.flatMap((s) => (s.sha256 ? [s.length, s.sha256] : [s.length]))
  return concatBytes(new TextEncoder().encode(`${CONTEXT}${context}\u0000`), head, body, ...digests)
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

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4)
  view(bytes).setUint32(0, value)
  return bytes
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

function invalid(detail: string): BridgeError {
  return new BridgeError('MAINFRAME_PAYLOAD_INVALID', detail, {
    hint: 'the sending bridge runs an incompatible version or the payload was forged; it was refused',
    status: 400,
  })
}
