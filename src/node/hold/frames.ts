import { BridgeError } from '../../core/errors.ts'
import { publicKeyFromPeerId } from '../../crypto/identity.ts'
import { peerIdOf, tryPeerKey } from '../../crypto/peer.ts'

/**
 * Frames of `/mainframe/hold/1.0.0`, packet holding for offline peers (docs/wire-hold.md).
 * Each frame is one length-prefixed message on the stream; this module encodes and decodes
 * one frame's bytes. Byte 0 is the format version, byte 1 the frame type; integers are
 * unsigned big-endian; every variable field has a length prefix, so a frame has exactly one
 * encoding and anything left over is an error.
 *
 * Peer ids travel as the 32-byte Ed25519 public key they embed (Mainframe nodes are Ed25519
 * only): fixed size, and decoding checks the key is a usable curve point through the crypto
 * module's peer cache, which the sealed-box code reuses for the same peers. Decoded peer ids
 * are in canonical base58btc form (`12D3KooW…`).
 */

export const HOLD_PROTOCOL = '/mainframe/hold/1.0.0'
export const HOLD_FRAME_VERSION = 0x01
/** The largest packet a frame carries. */
export const MAX_PACKET_BYTES = 16 * 1024 * 1024
/** The largest frame a node reads: one largest packet with room for the fields around it. */
export const MAX_FRAME_BYTES = 17 * 1024 * 1024
/** Packet ids are UTF-8 text of 1 to 64 bytes, without NUL. */
export const MAX_PACKET_ID_BYTES = 64
/** The most packets one fetch asks for (and one batch carries), and the most ids one ack carries. */
export const MAX_FETCH_LIMIT = 1000
export const MAX_ACK_IDS = 1000
export const MAX_ERROR_MESSAGE_BYTES = 1024
const KEY_BYTES = 32
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/

/** What a holder answers to `store`; `too-large` when the packet exceeds what it holds. */
export type HoldResult = 'stored' | 'duplicate' | 'quota' | 'too-large'
const RESULTS: readonly HoldResult[] = ['stored', 'duplicate', 'quota', 'too-large']

/** One packet of a batch. */
export interface BatchPacket {
  id: string
  /** The peer id that handed the packet to the holder. */
  sender: string
  /** Sealed bytes (1 to MAX_PACKET_BYTES). */
  packet: Uint8Array
}

/** A frame of /mainframe/hold/1.0.0; the direction of each is in docs/wire-hold.md. */
export type HoldFrame =
  | { type: 'store'; recipient: string; id: string; ttlSeconds: number; packet: Uint8Array }
  | { type: 'stored'; id: string; result: HoldResult }
  | { type: 'fetch'; limit: number; after: string | null }
  | { type: 'batch'; packets: BatchPacket[]; more: boolean }
  | { type: 'ack'; ids: string[] }
  | { type: 'acked'; count: number }
  | { type: 'error'; code: string; message: string }

type FrameType = HoldFrame['type']
const TYPES: readonly FrameType[] = ['store', 'stored', 'fetch', 'batch', 'ack', 'acked', 'error']
/** The type byte of each frame: its index in TYPES, plus one. */
const typeByte = (type: FrameType): number => TYPES.indexOf(type) + 1

/** Bytes one packet adds to a batch frame, so a holder can fill a batch up to MAX_FRAME_BYTES. */
export function batchPacketBytes(packet: BatchPacket): number {
  return 1 + Buffer.byteLength(packet.id) + KEY_BYTES + 4 + packet.packet.length
}
/** The bytes of a batch frame before its packets. */
export const BATCH_HEADER_BYTES = 5

/**
 * Encodes one frame.
 * @throws HOLD_FRAME_INVALID (status 500, a bug of the caller) on a field the format cannot
 *   carry: a peer id that is no Ed25519 peer id, an id or packet of a bad length, a number
 *   out of range, text that is not well-formed, a frame over MAX_FRAME_BYTES.
 * @example encodeHoldFrame({ type: 'acked', count: 2 }) // 01 06 00 02
 */
export function encodeHoldFrame(frame: HoldFrame): Uint8Array {
  const w = new Writer(frame.type)
  switch (frame.type) {
    case 'store':
      w.key('recipient', frame.recipient)
      w.uint('ttlSeconds', 4, frame.ttlSeconds, 1)
      w.id('id', frame.id)
      w.packet('packet', frame.packet)
      break
    case 'stored':
      w.id('id', frame.id)
      if (!RESULTS.includes(frame.result)) throw w.bad(`result: expected one of ${RESULTS.join(', ')}`)
      w.uint('result', 1, RESULTS.indexOf(frame.result))
      break
    case 'fetch':
      w.uint('limit', 2, frame.limit, 1, MAX_FETCH_LIMIT)
      if (frame.after === null) w.uint('after', 1, 0)
      else w.id('after', frame.after)
      break
    case 'batch':
      if (frame.packets.length === 0 && frame.more) throw w.bad('an empty batch cannot have more')
      w.uint('more', 1, frame.more ? 1 : 0)
      w.uint('packet count', 2, frame.packets.length, 0, MAX_FETCH_LIMIT)
      for (const [i, p] of frame.packets.entries()) {
        w.id(`packet ${i} id`, p.id)
        w.key(`packet ${i} sender`, p.sender)
        w.packet(`packet ${i}`, p.packet)
      }
      break
    case 'ack':
      w.uint('id count', 2, frame.ids.length, 1, MAX_ACK_IDS)
      for (const [i, id] of frame.ids.entries()) w.id(`id ${i}`, id)
      break
    case 'acked':
      w.uint('count', 2, frame.count, 0, MAX_ACK_IDS)
      break
    case 'error':
      if (typeof frame.code !== 'string' || !ERROR_CODE.test(frame.code))
        throw w.bad('code: expected UPPER_SNAKE ASCII of 1 to 64 characters')
      w.text('code', 1, frame.code, 1, 64)
      w.text('message', 2, frame.message, 0, MAX_ERROR_MESSAGE_BYTES)
      break
    default:
      throw w.bad(`unknown frame type ${JSON.stringify((frame as { type: unknown }).type)}`)
  }
  return w.finish()
}

/**
 * Decodes one frame read from the network. Packets are views into `bytes` (no copy).
 * @throws HOLD_FRAME_INVALID (status 400) saying exactly what was wrong: a frame over
 *   MAX_FRAME_BYTES, an unknown version or type, truncation, trailing bytes, a length over its
 *   limit, malformed UTF-8, a key that is not a usable Ed25519 public key. Never anything else.
 */
export function decodeHoldFrame(bytes: Uint8Array): HoldFrame {
  if (!(bytes instanceof Uint8Array)) throw invalid('frame', `expected a Uint8Array, got ${typeof bytes}`)
  if (bytes.length > MAX_FRAME_BYTES)
    throw invalid('frame', `${bytes.length} bytes exceed the limit of ${MAX_FRAME_BYTES}`)
  if (bytes.length < 2) throw invalid('frame', `expected 2 bytes of header, got ${bytes.length}`)
  if (bytes[0] !== HOLD_FRAME_VERSION)
    throw invalid('frame', `unknown version 0x${hex(bytes[0]!)}: this node reads version 0x01`)
  const type = TYPES[bytes[1]! - 1]
  if (type === undefined) throw invalid('frame', `unknown frame type 0x${hex(bytes[1]!)}`)
  const r = new Reader(bytes, type)
  const frame = readBody(r, type)
  r.end()
  return frame
}

function readBody(r: Reader, type: FrameType): HoldFrame {
  switch (type) {
    case 'store':
      return {
        type,
        recipient: r.key('recipient'),
        ttlSeconds: r.uint('ttlSeconds', 4, 1),
        id: r.id('id'),
        packet: r.packet('packet'),
      }
    case 'stored': {
      const id = r.id('id')
      const result = RESULTS[r.uint('result', 1, 0, RESULTS.length - 1)]!
      return { type, id, result }
    }
    case 'fetch': {
      const limit = r.uint('limit', 2, 1, MAX_FETCH_LIMIT)
      return { type, limit, after: r.optionalId('after') }
    }
    case 'batch': {
      const more = r.uint('more', 1, 0, 1) === 1
      const count = r.uint('packet count', 2, 0, MAX_FETCH_LIMIT)
      if (count === 0 && more) throw r.bad('an empty batch cannot have more')
      const packets: BatchPacket[] = []
      for (let i = 0; i < count; i++)
        packets.push({
          id: r.id(`packet ${i} id`),
          sender: r.key(`packet ${i} sender`),
          packet: r.packet(`packet ${i}`),
        })
      return { type, packets, more }
    }
    case 'ack': {
      const count = r.uint('id count', 2, 1, MAX_ACK_IDS)
      return { type, ids: Array.from({ length: count }, (_, i) => r.id(`id ${i}`)) }
    }
    case 'acked':
      return { type, count: r.uint('count', 2, 0, MAX_ACK_IDS) }
    case 'error': {
      const code = r.text('code', 1, 1, 64)
      if (!ERROR_CODE.test(code)) throw r.bad('code: expected UPPER_SNAKE ASCII')
      return { type, code, message: r.text('message', 2, 0, MAX_ERROR_MESSAGE_BYTES) }
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

/** Reads the fields of one frame in order; every read checks the bytes are there. */
class Reader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  readonly #type: FrameType
  #at = 2

  constructor(bytes: Uint8Array, type: FrameType) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#type = type
  }

  bad(detail: string): BridgeError {
    return invalid(`${this.#type} frame`, detail)
  }

  uint(what: string, size: 1 | 2 | 4, min = 0, max = 2 ** (8 * size) - 1): number {
    this.#need(size, what, 'bytes')
    const v = this.#view
    const value =
      size === 1 ? v.getUint8(this.#at) : size === 2 ? v.getUint16(this.#at) : v.getUint32(this.#at)
    this.#at += size
    if (value < min || value > max) throw this.bad(`${what}: expected ${min} to ${max}, got ${value}`)
    return value
  }

  take(what: string, length: number, unit = 'bytes'): Uint8Array {
    this.#need(length, what, unit)
    this.#at += length
    return this.#bytes.subarray(this.#at - length, this.#at)
  }

  key(what: string): string {
    const peer = tryPeerKey(this.take(what, KEY_BYTES, 'bytes of key'))
    if (peer === null)
      throw this.bad(`${what}: not a usable Ed25519 public key (off the curve, or of small order)`)
    return peerIdOf(peer)
  }

  text(what: string, prefix: 1 | 2, min: number, max: number): string {
    const bytes = this.take(what, this.uint(`${what} length`, prefix, min, max))
    try {
      return utf8.decode(bytes)
    } catch {
      throw this.bad(`${what}: not well-formed UTF-8`)
    }
  }

  id(what: string): string {
    const id = this.text(what, 1, 1, MAX_PACKET_ID_BYTES)
    if (id.includes('\0')) throw this.bad(`${what}: must not contain NUL`)
    return id
  }

  /** An id, or null for a length byte of 0 (ids are never empty). */
  optionalId(what: string): string | null {
    if (this.#bytes[this.#at] !== 0) return this.id(what)
    this.#at++
    return null
  }

  packet(what: string): Uint8Array {
    return this.take(what, this.uint(`${what} length`, 4, 1, MAX_PACKET_BYTES))
  }

  end(): void {
    const left = this.#bytes.length - this.#at
    if (left > 0) throw this.bad(`${left} trailing bytes after the last field`)
  }

  #need(length: number, what: string, unit: string): void {
    const left = this.#bytes.length - this.#at
    if (left < length)
      throw this.bad(`${what}: expected ${length} ${length === 1 ? 'byte' : unit}, got ${left}`)
  }
}

/** Collects the fields of one frame, checking each, then joins them. */
class Writer {
  readonly #type: FrameType
  readonly #parts: Uint8Array[]
  #length = 2

  constructor(type: FrameType) {
    this.#type = type
    this.#parts = [Uint8Array.of(HOLD_FRAME_VERSION, TYPES.includes(type) ? typeByte(type) : 0)]
  }

  bad(detail: string): BridgeError {
    return new BridgeError(
      'HOLD_FRAME_INVALID',
      `cannot encode a ${HOLD_PROTOCOL} ${this.#type} frame: ${detail}`,
      {
        hint: 'this is a bug of the caller: check the field against docs/wire-hold.md',
        status: 500,
      },
    )
  }

  uint(what: string, size: 1 | 2 | 4, value: number, min = 0, max = 2 ** (8 * size) - 1): void {
    if (!Number.isInteger(value) || value < min || value > max)
      throw this.bad(`${what}: expected an integer from ${min} to ${max}, got ${String(value)}`)
    const out = new Uint8Array(size)
    for (let i = size - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256
    this.#push(out)
  }

  key(what: string, peerId: string): void {
    let key: Uint8Array
    try {
      key = publicKeyFromPeerId(peerId)
    } catch (cause) {
      throw this.bad(`${what}: ${cause instanceof BridgeError ? cause.shortMessage : 'not a peer id'}`)
    }
    if (tryPeerKey(key) === null) throw this.bad(`${what}: not a usable Ed25519 public key`)
    this.#push(key)
  }

  text(what: string, prefix: 1 | 2, value: string, min: number, max: number): void {
    if (typeof value !== 'string' || !value.isWellFormed())
      throw this.bad(
        `${what}: expected well-formed text, got ${typeof value === 'string' ? 'a lone surrogate' : typeof value}`,
      )
    const bytes = encoder.encode(value)
    this.uint(`${what} length in bytes`, prefix, bytes.length, min, max)
    this.#push(bytes)
  }

  id(what: string, value: string): void {
    if (typeof value === 'string' && value.includes('\0')) throw this.bad(`${what}: must not contain NUL`)
    this.text(what, 1, value, 1, MAX_PACKET_ID_BYTES)
  }

  packet(what: string, packet: Uint8Array): void {
    if (!(packet instanceof Uint8Array))
      throw this.bad(`${what}: expected a Uint8Array, got ${typeof packet}`)
    this.uint(`${what} length`, 4, packet.length, 1, MAX_PACKET_BYTES)
    this.#push(packet)
  }

  finish(): Uint8Array {
    if (this.#length > MAX_FRAME_BYTES)
      throw this.bad(`${this.#length} bytes exceed the frame limit of ${MAX_FRAME_BYTES}`)
    const out = new Uint8Array(this.#length)
    let at = 0
    for (const part of this.#parts) {
      out.set(part, at)
      at += part.length
    }
    return out
  }

  #push(part: Uint8Array): void {
    this.#parts.push(part)
    this.#length += part.length
  }
}

function invalid(where: string, detail: string): BridgeError {
  return new BridgeError('HOLD_FRAME_INVALID', `bad ${HOLD_PROTOCOL} ${where}: ${detail}`, {
    hint: 'the peer runs an incompatible or broken version; drop the frame and the stream',
    status: 400,
  })
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}
