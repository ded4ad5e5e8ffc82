import { BridgeError } from '../../core/errors.ts'
import { concatBytes } from '../../crypto/bytes.ts'
import { MID_BYTES } from './frames.ts'

/** Plaintext bytes per chunk; each chunk is sealed on its own. */
export const CHUNK_BYTES = 512 * 1024 - 256

/**
 * What each sealed chunk holds: mid ‖ index ‖ count ‖ data. The header is inside the box so
 * that a relay cannot splice chunks of two messages or reorder them: the outer frame's
 * values must match the sealed ones.
 */
export function chunkPlaintexts(mid: Uint8Array, payload: Uint8Array): Uint8Array[] {
  const count = Math.max(1, Math.ceil(payload.length / CHUNK_BYTES))
  return Array.from({ length: count }, (_, index) => {
    const head = new Uint8Array(MID_BYTES + 8)
    head.set(mid)
    const view = new DataView(head.buffer)
    view.setUint32(MID_BYTES, index)
    view.setUint32(MID_BYTES + 4, count)
    return concatBytes(head, payload.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES))
  })
}

/**
 * The data of one opened chunk, after checking that its sealed header matches the frame.
 * @throws DIRECT_CHUNK_MISMATCH when it does not (a spliced or replayed chunk).
 */
export function chunkData(plaintext: Uint8Array, mid: Uint8Array, index: number, count: number): Uint8Array {
  if (plaintext.length < MID_BYTES + 8) throw mismatch('the sealed chunk is shorter than its header')
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
  const sameMid = plaintext.subarray(0, MID_BYTES).every((b, i) => b === mid[i])
  if (!sameMid || view.getUint32(MID_BYTES) !== index || view.getUint32(MID_BYTES + 4) !== count)
    throw mismatch(`the sealed chunk does not belong at ${index}/${count} of this message`)
  return plaintext.subarray(MID_BYTES + 8)
}

function mismatch(detail: string): BridgeError {
  return new BridgeError('DIRECT_CHUNK_MISMATCH', detail, {
    hint: 'a relay or a broken peer altered the message; it was dropped',
    status: 400,
  })
}
