import { BridgeError } from '../../core/errors.ts'

/**
 * Frames of `/mainframe/msg/1.0.0` (docs/wire.md, "Direct messages"). Each frame is one
 * length-prefixed message on the stream; this module encodes and decodes one frame's bytes.
 * Byte 0 is the format version, byte 1 the frame type; integers are big-endian.
 */

export const DIRECT_PROTOCOL = '/mainframe/msg/1.0.0'
export const FRAME_VERSION = 0x01
/** A message id on the node's wire: 32 bytes, chosen by the sender, stable across its retries. */
export const MID_BYTES = 32
const SIGNATURE_BYTES = 64
const ENVELOPE_HEADER = 2 + MID_BYTES + 4 + 4
/** Receipts frame: version, type, count (2), delivered_at (8); then the mids and the signature. */
const RECEIPTS_HEADER = 2 + 2 + 8
/** Most message ids one receipts frame may cover (a recipient answers at most 64 at once). */
export const MAX_RECEIPT_BATCH = 256
/** The largest frame a node reads: one chunk of 512 KiB, sealed, with its header. */
export const MAX_FRAME_BYTES = 512 * 1024 + 256

export type Frame =
  /** One chunk of a message, sealed to the recipient: `count` chunks make the message. */
  | { type: 'envelope'; mid: Uint8Array; index: number; count: number; sealed: Uint8Array }
  /**
   * The recipient's one signed proof that it received and handed on each of `mids`, in the
   * order they came: it answers every message handed on since its last answer at once.
   */
  | { type: 'receipts'; mids: readonly Uint8Array[]; deliveredAt: number; signature: Uint8Array }
  /** The recipient refuses message `mid`; `retryable` says whether sending it again may work. */
  | { type: 'reject'; mid: Uint8Array; code: string; message: string; retryable: boolean }

// 0x02 was a receipt for one message, signed on its own; receipts (0x04) replaced it.
const TYPES = { envelope: 0x01, reject: 0x03, receipts: 0x04 } as const

/** Encodes one frame. @throws DIRECT_FRAME_INVALID on a field out of range (a bug of the caller). */
export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.type) {
    case 'envelope': {
      checkLength('mid', frame.mid, MID_BYTES)
      checkIndex(frame.index, frame.count)
      const out = new Uint8Array(ENVELOPE_HEADER + frame.sealed.length)
      const view = header(out, TYPES.envelope, frame.mid)
      view.setUint32(2 + MID_BYTES, frame.index)
      view.setUint32(2 + MID_BYTES + 4, frame.count)
      out.set(frame.sealed, ENVELOPE_HEADER)
      return out
    }
    case 'receipts': {
      const count = frame.mids.length
      if (count < 1 || count > MAX_RECEIPT_BATCH)
        throw invalid(`receipts for ${count} messages: expected 1 to ${MAX_RECEIPT_BATCH}`)
      checkLength('signature', frame.signature, SIGNATURE_BYTES)
      const out = new Uint8Array(RECEIPTS_HEADER + count * MID_BYTES + SIGNATURE_BYTES)
      out[0] = FRAME_VERSION
      out[1] = TYPES.receipts
      const view = new DataView(out.buffer)
      view.setUint16(2, count)
      view.setBigUint64(4, BigInt(checkTime(frame.deliveredAt)))
      let at = RECEIPTS_HEADER
      for (const mid of frame.mids) {
        checkLength('mid', mid, MID_BYTES)
        out.set(mid, at)
        at += MID_BYTES
      }
      out.set(frame.signature, at)
      return out
    }
    case 'reject': {
      checkLength('mid', frame.mid, MID_BYTES)
      const code = new TextEncoder().encode(frame.code)
      const message = new TextEncoder().encode(frame.message.slice(0, 1000))
      if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(frame.code))
        throw invalid(`reject code "${frame.code}" is not UPPER_SNAKE`)
      const out = new Uint8Array(2 + MID_BYTES + 1 + 1 + code.length + 2 + message.length)
      const view = header(out, TYPES.reject, frame.mid)
      let at = 2 + MID_BYTES
      out[at++] = frame.retryable ? 1 : 0
      out[at++] = code.length
      out.set(code, at)
      at += code.length
      view.setUint16(at, message.length)
      out.set(message, at + 2)
      return out
    }
  }
}

/**
 * Decodes one frame read from the network.
 * @throws DIRECT_FRAME_INVALID (status 400) saying what was wrong: unknown version or type,
 *   truncation, trailing bytes, a field out of range.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length > MAX_FRAME_BYTES)
    throw invalid(`frame of ${bytes.length} bytes exceeds ${MAX_FRAME_BYTES}`)
  if (bytes.length < 2 + MID_BYTES)
    throw invalid(`frame too short: expected at least ${2 + MID_BYTES} bytes, got ${bytes.length}`)
  if (bytes[0] !== FRAME_VERSION)
    throw invalid(`unknown frame version 0x${hex(bytes[0])}: this node reads version 0x01`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // Ids are copied (they outlive the frame: dedupe, receipts); the sealed box is a view, as
  // it is opened at once and dropped.
  switch (bytes[1]) {
    case TYPES.envelope: {
      if (bytes.length < ENVELOPE_HEADER) throw invalid(`envelope truncated: ${bytes.length} bytes`)
      const index = view.getUint32(2 + MID_BYTES)
      const count = view.getUint32(2 + MID_BYTES + 4)
      if (count === 0 || index >= count) throw invalid(`envelope chunk ${index} of ${count} is out of range`)
      return {
        type: 'envelope',
        mid: bytes.slice(2, 2 + MID_BYTES),
        index,
        count,
        sealed: bytes.subarray(ENVELOPE_HEADER),
      }
    }
    case TYPES.receipts: {
      const count = view.getUint16(2)
      if (count < 1 || count > MAX_RECEIPT_BATCH)
        throw invalid(`receipts for ${count} messages: expected 1 to ${MAX_RECEIPT_BATCH}`)
      const size = RECEIPTS_HEADER + count * MID_BYTES + SIGNATURE_BYTES
      if (bytes.length !== size)
        throw invalid(`receipts for ${count} messages must be ${size} bytes, got ${bytes.length}`)
      const deliveredAt = Number(view.getBigUint64(4))
      if (!Number.isSafeInteger(deliveredAt)) throw invalid('receipt time is out of range')
      const ids = bytes.slice(RECEIPTS_HEADER, size - SIGNATURE_BYTES)
      const mids = Array.from({ length: count }, (_, i) => ids.subarray(i * MID_BYTES, (i + 1) * MID_BYTES))
      return { type: 'receipts', mids, deliveredAt, signature: bytes.slice(size - SIGNATURE_BYTES) }
    }
    case TYPES.reject: {
      let at = 2 + MID_BYTES
      if (bytes.length < at + 2) throw invalid('reject truncated before its code')
      const retryable = bytes[at++]
      if (retryable !== 0 && retryable !== 1)
        throw invalid(`reject retryable flag must be 0 or 1, got ${retryable}`)
      const codeLength = bytes[at++] as number
      if (bytes.length < at + codeLength + 2) throw invalid('reject truncated in its code')
      const code = new TextDecoder().decode(bytes.subarray(at, at + codeLength))
      if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(code)) throw invalid('reject code is not UPPER_SNAKE')
      at += codeLength
      const messageLength = view.getUint16(at)
      at += 2
      if (bytes.length !== at + messageLength)
        throw invalid(`reject message: expected ${messageLength} bytes, got ${bytes.length - at}`)
      const message = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(at))
      return { type: 'reject', mid: bytes.slice(2, 2 + MID_BYTES), code, message, retryable: retryable === 1 }
    }
    default:
      throw invalid(`unknown frame type 0x${hex(bytes[1])}`)
  }
}

function header(out: Uint8Array, type: number, mid: Uint8Array): DataView {
  out[0] = FRAME_VERSION
  out[1] = type
  out.set(mid, 2)
  return new DataView(out.buffer, out.byteOffset, out.byteLength)
}

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length)
    throw invalid(
      `${name}: expected ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
    )
}

function checkIndex(index: number, count: number): void {
  if (
    !Number.isInteger(count) ||
    count < 1 ||
    count > 0xffffffff ||
    !Number.isInteger(index) ||
    index < 0 ||
    index >= count
  )
    throw invalid(`chunk ${index} of ${count} is out of range`)
}

function checkTime(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw invalid(`time ${ms} is not a non-negative integer of ms`)
  return ms
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0')
}

function invalid(detail: string): BridgeError {
  return new BridgeError('DIRECT_FRAME_INVALID', `bad /mainframe/msg/1.0.0 frame: ${detail}`, {
    hint: 'the peer runs an incompatible or broken version; the frame was dropped',
    status: 400,
  })
}
