import type { Connection, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { BridgeError } from '../../core/errors.ts'
import { toHex } from '../../crypto/bytes.ts'
import { StreamAnswers } from './answers.ts'
import { type Assembled, MessageAssembler } from './assemble.ts'
import { DIRECT_PROTOCOL, decodeFrame, MAX_FRAME_BYTES } from './frames.ts'
import type { DirectDeps, DirectOptions } from './service.ts'

/** An inbound stream with no message for this long is closed (the sender opens another). */
const IDLE_MS = 60_000
/** Messages read and opened ahead of the one being handed on, at most. */
const MAX_UNANSWERED = 64

/** A direct message as the recipient's handler gets it. */
export interface InboundDirect {
  readonly mid: Uint8Array
  /** The sender's peer id, authenticated by the sealed box (not by the connection: a holder may carry it). */
  readonly from: string
  readonly payload: Uint8Array
}

/**
 * Hands an inbound message on (to the pipeline). The receipt is sent only once it resolves;
 * if it throws, the sender is told to retry (a retryable reject).
 */
export type InboundHandler = (message: InboundDirect) => Promise<void>

/** Which message ids this node has already handed on (durable: held copies come back later). */
export interface SeenIds {
  has(mid: Uint8Array): Promise<boolean>
  add(mid: Uint8Array): Promise<void>
}

/**
 * The recipient's side of /mainframe/msg/1.0.0: streams of messages answered in order, and
 * messages fetched from holders, both checked by the same assembler and handed on once.
 */
export class InboundStreams {
  readonly #deps: DirectDeps
  readonly #options: DirectOptions

  constructor(deps: DirectDeps, options: DirectOptions) {
    this.#deps = deps
    this.#options = options
  }

  /**
   * Takes a message fetched from a holder: its envelope frames, checked and opened like those
   * of a stream, then handed on once (a copy from a second holder is a duplicate).
   * @throws the assembler's errors (a packet that is not a whole message sealed to this node).
   */
  async acceptHeld(frames: readonly Uint8Array[], handler: InboundHandler, holder: string): Promise<void> {
    const assembler = new MessageAssembler(this.#deps.identity, this.#options.maxMessageBytes)
    let message: Assembled | undefined
    for (const frame of frames) {
      if (message)
        throw new BridgeError('DIRECT_FRAME_INVALID', 'a held packet has frames after its last chunk', {
          status: 400,
        })
      message = assembler.add(decodeFrame(frame))
    }
    if (!message)
      throw new BridgeError('DIRECT_FRAME_INVALID', 'a held packet ends before its last chunk', {
        status: 400,
      })
    await this.#handOn(message, handler, holder)
  }

  /** Hands a message on unless seen before; a repeat is counted and logged, not handed on. */
  async #handOn(message: Assembled, handler: InboundHandler, via: string): Promise<void> {
    const duplicate = await this.#deps.seen.has(message.mid)
    if (duplicate) {
      // A replay, a retry whose receipt was lost, or a copy from a second holder.
      this.#deps.metrics.dropped(DIRECT_PROTOCOL, 'DIRECT_REPLAY')
      this.#deps.log.info(
        { peer: via, mid: toHex(message.mid) },
        'direct message seen before: not handed on again',
      )
    } else {
      await handler({ mid: message.mid, from: message.sender.peerId, payload: message.payload })
      await this.#deps.seen.add(message.mid)
    }
    this.#deps.metrics.direct('received', duplicate)
  }

  /**
   * One inbound stream: messages one after the other, each answered (receipt or reject) once
   * handed on, in order; the receipts of messages handed on together share one signature
   * (StreamAnswers). It ends quietly when the sender closes it or it stays idle between
   * messages; a bad frame or box resets it.
   */
  async serve(stream: Stream, connection: Connection, handler: InboundHandler): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    const peer = connection.remotePeer.toString()
    const answers = new StreamAnswers(
      this.#deps.identity,
      (frame) => lp.write(frame, { signal: AbortSignal.timeout(this.#options.timeoutMs) }),
      (err) => {
        this.#drop(peer, undefined, err)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      },
    )
    let handingOn = Promise.resolve()
    let inFlight = 0
    for (;;) {
      let first: Uint8Array
      try {
        first = (await lp.read({ signal: AbortSignal.timeout(IDLE_MS) })).subarray()
      } catch (err) {
        // Between messages, an end or a quiet stream is normal; anything else is not.
        const name = (err as { name?: string })?.name
        if (name !== 'UnexpectedEOFError' && name !== 'TimeoutError' && name !== 'AbortError')
          this.#drop(peer, undefined, err)
        await handingOn
        await answers.settled()
        await stream.close().catch(() => stream.abort(new Error('idle')))
        return
      }
      const assembler = new MessageAssembler(this.#deps.identity, this.#options.maxMessageBytes)
      try {
        let message = assembler.add(decodeFrame(first))
        if (!message) {
          const signal = AbortSignal.timeout(this.#options.timeoutMs)
          while (!message) message = assembler.add(decodeFrame((await lp.read({ signal })).subarray()))
        }
        // Hand on in order, while the next messages are read and opened.
        const done = message
        inFlight++
        handingOn = handingOn
          .then(() => this.#answer(done, handler, peer, answers))
          .catch((err: unknown) => {
            this.#drop(peer, done.mid, err)
            stream.abort(err instanceof Error ? err : new Error(String(err)))
          })
          .finally(() => {
            inFlight--
          })
        if (inFlight + answers.unanswered >= MAX_UNANSWERED) {
          await handingOn
          await answers.settled()
        }
      } catch (err) {
        await handingOn
        const mid = assembler.mid
        this.#drop(peer, mid, err)
        if (mid && err instanceof BridgeError)
          answers.reject({
            type: 'reject',
            mid,
            code: err.code,
            message: err.shortMessage,
            retryable: err.retryable,
          })
        await answers.settled()
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        return
      }
    }
  }

  /** Hands one message on and queues its receipt, or a reject when it could not be handed on. */
  async #answer(
    message: Assembled,
    handler: InboundHandler,
    peer: string,
    answers: StreamAnswers,
  ): Promise<void> {
    try {
      await this.#handOn(message, handler, peer)
    } catch (err) {
      // The message is fine but could not be handed on (the pipeline is down): say so and
      // keep the stream; the sender retries it later.
      if (!(err instanceof BridgeError)) throw err
      this.#drop(peer, message.mid, err)
      answers.reject({
        type: 'reject',
        mid: message.mid,
        code: err.code,
        message: err.shortMessage,
        retryable: err.retryable,
      })
      return
    }
    answers.delivered(message.mid, message.sender.publicKey)
  }

  #drop(peer: string, mid: Uint8Array | undefined, err: unknown): void {
    const reason = dropReason(err)
    this.#deps.metrics.dropped(DIRECT_PROTOCOL, reason)
    this.#deps.log.warn(
      { peer, mid: mid ? toHex(mid) : undefined, reason, err: err instanceof BridgeError ? undefined : err },
      `direct message dropped: ${err instanceof BridgeError ? err.shortMessage : reason}`,
    )
  }
}

/** A short, stable reason for the drop metric and the log. */
function dropReason(err: unknown): string {
  if (err instanceof BridgeError) return err.code
  const name = (err as { name?: string })?.name
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError')
    return 'DIRECT_FRAME_TOO_LARGE'
  if (name === 'TimeoutError' || name === 'AbortError') return 'DIRECT_TIMEOUT'
  if (name === 'UnexpectedEOFError') return 'DIRECT_TRUNCATED'
  return 'DIRECT_STREAM_FAILED'
}
