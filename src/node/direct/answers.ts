import type { NodeIdentity } from '../../crypto/identity.ts'
import { sameBytes } from './assemble.ts'
import { encodeFrame, type Frame } from './frames.ts'
import { signReceipts } from './receipt.ts'

/** Most messages one receipts frame answers (the reader runs at most 64 messages ahead anyway). */
export const MAX_BATCH = 64

/**
 * The answers on one inbound stream, in the order its messages came. Messages handed on are
 * receipted together: the first one starts a batch that is signed and written once the
 * messages already read are handed on too (at the end of this turn of the event loop), when
 * it is full, or before a reject or a message of another sender. So a busy stream costs one
 * signature and one frame per batch, and an idle one answers each message at once.
 * Frames are written one after the other; the first write that fails stops the rest.
 */
export class StreamAnswers {
  readonly #identity: NodeIdentity
  readonly #write: (frame: Uint8Array) => Promise<void>
  readonly #onError: (err: unknown) => void
  #mids: Uint8Array[] = []
  #sender: Uint8Array | undefined
  #scheduled = false
  #writing: Promise<void> = Promise.resolve()
  #failed = false
  #unwritten = 0

  /**
   * @param write writes one frame on the stream (with its own timeout).
   * @param onError gets the first write error; the stream should then be reset.
   */
  constructor(
    identity: NodeIdentity,
    write: (frame: Uint8Array) => Promise<void>,
    onError: (err: unknown) => void,
  ) {
    this.#identity = identity
    this.#write = write
    this.#onError = onError
  }

  /** Messages handed on or refused whose answer is not written yet. */
  get unanswered(): number {
    return this.#unwritten
  }

  /** Message `mid`, sealed by `senderPublicKey`, was handed on: it will be receipted. */
  delivered(mid: Uint8Array, senderPublicKey: Uint8Array): void {
    // A receipt names one sender's key; a stream may carry boxes of several (a forwarder).
    if (this.#sender !== undefined && !sameBytes(this.#sender, senderPublicKey)) this.flush()
    this.#sender = senderPublicKey
    this.#mids.push(mid)
    this.#unwritten++
    if (this.#mids.length >= MAX_BATCH) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => {
        this.#scheduled = false
        this.flush()
      })
    }
  }

  /** Writes the receipts of the messages before it, then `reject`. */
  reject(reject: Extract<Frame, { type: 'reject' }>): void {
    this.flush()
    this.#unwritten++
    this.#enqueue(encodeFrame(reject), 1)
  }

  /** Signs and writes the pending receipts now. */
  flush(): void {
    if (this.#mids.length === 0 || this.#sender === undefined) return
    const mids = this.#mids
    const deliveredAt = Date.now()
    const signature = signReceipts(this.#identity, mids, this.#sender, deliveredAt)
    this.#mids = []
    this.#sender = undefined
    this.#enqueue(encodeFrame({ type: 'receipts', mids, deliveredAt, signature }), mids.length)
  }

  /** Flushes, then resolves once every answer is written or the writing failed (never rejects). */
  settled(): Promise<void> {
    this.flush()
    return this.#writing
  }

  #enqueue(frame: Uint8Array, answers: number): void {
    this.#writing = this.#writing
      .then(() => (this.#failed ? undefined : this.#write(frame)))
      .then(
        () => {
          this.#unwritten -= answers
        },
        (err: unknown) => {
          if (this.#failed) return
          this.#failed = true
          this.#onError(err)
        },
      )
  }
}
