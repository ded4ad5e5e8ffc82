import { BridgeError } from '../../core/errors.ts'
import { concatBytes } from '../../crypto/bytes.ts'
import type { NodeIdentity } from '../../crypto/identity.ts'
import { open } from '../../crypto/sealed-box.ts'
import { CHUNK_BYTES, chunkData } from './chunks.ts'
import type { Frame } from './frames.ts'

/** A whole message, opened: its id, its authenticated sender and the joined payload. */
export interface Assembled {
  readonly mid: Uint8Array
  readonly sender: { readonly peerId: string; readonly publicKey: Uint8Array }
  readonly payload: Uint8Array
}

/**
 * Takes the envelope frames of one message in order (from a stream, or from a held packet),
 * opens each and checks it belongs: same message, next index, same sender, within the size
 * limit (checked on the first frame, before the others are read).
 */
export class MessageAssembler {
  readonly #identity: NodeIdentity
  readonly #maxBytes: number
  readonly #parts: Uint8Array[] = []
  #mid: Uint8Array | undefined
  #sender: Assembled['sender'] | undefined
  #count = 0

  constructor(identity: NodeIdentity, maxBytes: number) {
    this.#identity = identity
    this.#maxBytes = maxBytes
  }

  /** The message id, once the first frame was taken. */
  get mid(): Uint8Array | undefined {
    return this.#mid
  }

  /**
   * Adds the next frame; returns the message once its last chunk is in, else undefined.
   * @throws DIRECT_FRAME_INVALID, DIRECT_CHUNK_MISMATCH, NODE_MESSAGE_TOO_LARGE,
   *   SEALED_BOX_MALFORMED / SEALED_BOX_AUTH_FAILED (all status 400).
   */
  add(frame: Frame): Assembled | undefined {
    if (frame.type !== 'envelope')
      throw refused('DIRECT_FRAME_INVALID', `expected an envelope, got a ${frame.type}`)
    const index = this.#parts.length
    this.#mid ??= frame.mid
    if (
      !sameBytes(frame.mid, this.#mid) ||
      frame.index !== index ||
      (index > 0 && frame.count !== this.#count)
    )
      throw refused('DIRECT_CHUNK_MISMATCH', `chunk ${frame.index} of another message or out of order`)
    this.#count = frame.count
    if (frame.count * CHUNK_BYTES > this.#maxBytes + CHUNK_BYTES)
      throw tooLarge(frame.count * CHUNK_BYTES, this.#maxBytes)
    const opened = open(this.#identity, frame.sealed)
    if (this.#sender && this.#sender.peerId !== opened.senderPeerId)
      throw refused('DIRECT_CHUNK_MISMATCH', 'chunks of one message sealed by two senders')
    this.#sender ??= { peerId: opened.senderPeerId, publicKey: opened.senderPublicKey }
    this.#parts.push(chunkData(opened.plaintext, this.#mid, index, frame.count))
    if (this.#parts.length < frame.count) return undefined
    const payload = concatBytes(...this.#parts)
    if (payload.length > this.#maxBytes) throw tooLarge(payload.length, this.#maxBytes)
    return { mid: this.#mid, sender: this.#sender, payload }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function refused(code: string, detail: string): BridgeError {
  return new BridgeError(code, detail, { status: 400 })
}

export function tooLarge(size: number, max: number): BridgeError {
  return new BridgeError(
    'NODE_MESSAGE_TOO_LARGE',
    `a message of ${size} bytes exceeds node.max_message_bytes (${max})`,
    { hint: 'send large files by link, or raise node.max_message_bytes on both nodes', status: 413 },
  )
}
