import type { Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { toHex } from '../../crypto/bytes.ts'
import { decodeFrame, type Frame, MAX_FRAME_BYTES } from './frames.ts'

interface Waiter {
  resolve(frame: Frame): void
  reject(err: unknown): void
}

/**
 * One outbound stream to a peer that carries many messages: their envelopes are written one
 * message after the other (never interleaved), and the recipient answers them in order, several
 * at once when it can (one receipts frame). Many messages are in flight at once, so throughput
 * is not bound by the round trip.
 */
export class OutboundSession {
  readonly #stream: Stream
  readonly #lp: LengthPrefixedStream<Stream>
  readonly #waiting = new Map<string, Waiter[]>()
  #writing: Promise<void> = Promise.resolve()
  #failure: unknown
  readonly #onClosed: () => void

  constructor(stream: Stream, onClosed: () => void) {
    this.#stream = stream
    this.#lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    this.#onClosed = onClosed
    void this.#readAnswers()
  }

  /** Whether the stream failed or was closed: a new session is needed. */
  get closed(): boolean {
    return this.#failure !== undefined
  }

  /**
   * Writes one message's frames and resolves with the recipient's answer to it: its reject,
   * or a receipts frame whose mids include `mid` (the same frame object for every message it
   * answers, so its signature need be checked once).
   * @throws the stream's error when it fails (the caller reports the peer unreachable), or
   *   the signal's reason when it aborts first (a late answer is then ignored).
   */
  exchange(frames: readonly Uint8Array[], mid: Uint8Array, signal: AbortSignal): Promise<Frame> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    const key = toHex(mid)
    return new Promise<Frame>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (frame) => {
          signal.removeEventListener('abort', onAbort)
          resolve(frame)
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      const onAbort = () => {
        const list = this.#waiting.get(key)
        const at = list?.indexOf(waiter) ?? -1
        if (list && at >= 0) list.splice(at, 1)
        if (list?.length === 0) this.#waiting.delete(key)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const list = this.#waiting.get(key) ?? []
      list.push(waiter)
      this.#waiting.set(key, list)
      this.#writing = this.#writing.then(async () => {
        if (this.#failure !== undefined) return
        try {
          for (const frame of frames) await this.#lp.write(frame)
        } catch (err) {
          this.#fail(err)
        }
      })
    })
  }

  close(): void {
    this.#fail(new Error('session closed'))
  }

  async #readAnswers(): Promise<void> {
    try {
      for (;;) {
        const frame = decodeFrame((await this.#lp.read()).subarray())
        // One receipts frame answers many messages: each of their senders gets the same frame.
        if (frame.type === 'receipts') for (const mid of frame.mids) this.#resolve(mid, frame)
        else this.#resolve(frame.mid, frame)
      }
    } catch (err) {
      this.#fail(err)
    }
  }

  /** Resolves the oldest waiter for `mid`; an answer nobody waits for (it timed out) is dropped. */
  #resolve(mid: Uint8Array, frame: Frame): void {
    const key = toHex(mid)
    const list = this.#waiting.get(key)
    const waiter = list?.shift()
    if (list?.length === 0) this.#waiting.delete(key)
    waiter?.resolve(frame)
  }

  #fail(err: unknown): void {
    if (this.#failure !== undefined) return
    this.#failure = err ?? new Error('stream ended')
    for (const list of this.#waiting.values()) for (const waiter of list) waiter.reject(this.#failure)
    this.#waiting.clear()
    this.#stream.abort(err instanceof Error ? err : new Error(String(err)))
    this.#onClosed()
  }
}
