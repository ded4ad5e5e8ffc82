import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { BridgeError } from '../../core/errors.ts'
import { type NodeIdentity, publicKeyFromPeerId } from '../../crypto/identity.ts'
import { Lru } from '../../crypto/lru.ts'
import { seal } from '../../crypto/sealed-box.ts'
import type { Logger } from '../../log/logger.ts'
import type { Host } from '../host.ts'
import { addressesOf } from '../keeper.ts'
import type { NodeMetrics } from '../metrics.ts'
import { tooLarge } from './assemble.ts'
import { chunkPlaintexts } from './chunks.ts'
import { DIRECT_PROTOCOL, encodeFrame, type Frame, MID_BYTES } from './frames.ts'
import { type InboundHandler, InboundStreams, type SeenIds } from './inbound.ts'
import { type Receipt, verifyReceipts } from './receipt.ts'
import { OutboundSession } from './session.ts'

export { DIRECT_PROTOCOL } from './frames.ts'
export type { InboundDirect, InboundHandler, SeenIds } from './inbound.ts'

export interface DirectOptions {
  /** Largest payload, attachments included (node.max_message_bytes). */
  readonly maxMessageBytes: number
  /** How long one exchange (dial, send, receipt) may take. */
  readonly timeoutMs: number
}

export interface DirectDeps {
  readonly host: Host
  readonly identity: NodeIdentity
  readonly seen: SeenIds
  readonly log: Logger
  readonly metrics: NodeMetrics
}

/**
 * Direct messages on `/mainframe/msg/1.0.0`: a payload sealed to the recipient's key (from
 * its peer id) in chunks, answered by a signed receipt once the recipient has handed it on.
 * Inbound frames that are malformed, sealed for another node, spliced or oversize are
 * dropped with a logged reason and a metric; the node keeps serving.
 */
export class DirectMessages {
  readonly #deps: DirectDeps
  readonly #options: DirectOptions
  readonly #sessions = new Map<string, Promise<OutboundSession>>()
  readonly #inbound: InboundStreams
  /** Ed25519 keys of peer ids written to: parsing a peer id (base58, multihash) costs per message. */
  readonly #peerKeys = new Lru<string, Uint8Array>(1024)
  /** Whether each receipts frame verified: one frame answers many sends, checked once. */
  readonly #verified = new WeakMap<Frame, boolean>()

  constructor(deps: DirectDeps, options: DirectOptions) {
    this.#inbound = new InboundStreams(deps, options)
    this.#deps = deps
    this.#options = options
  }

  /** Starts answering the protocol; `handler` gets each new message once. */
  async start(handler: InboundHandler): Promise<void> {
    await this.#deps.host.handle(
      DIRECT_PROTOCOL,
      (stream, connection) => this.#inbound.serve(stream, connection, handler),
      {
        maxInboundStreams: 256,
      },
    )
  }

  async stop(): Promise<void> {
    for (const session of this.#sessions.values())
      session.then(
        (s) => s.close(),
        () => {},
      )
    this.#sessions.clear()
    await this.#deps.host.unhandle(DIRECT_PROTOCOL)
  }

  /**
   * Sends `payload` to `peerId` and resolves with its verified receipt. `mid` defaults to a
   * random id; pass the same one on every retry of one message so the recipient dedupes.
   * @throws NODE_MESSAGE_TOO_LARGE (not retryable) past node.max_message_bytes;
   *   NODE_PEER_UNREACHABLE (retryable) when no connection could be made; DIRECT_REJECTED
   *   with the recipient's reason; DIRECT_RECEIPT_INVALID when the receipt does not verify.
   */
  async send(
    peerId: string,
    payload: Uint8Array,
    options: { mid?: Uint8Array; signal?: AbortSignal } = {},
  ): Promise<Receipt> {
    const mid = options.mid ?? randomBytes(MID_BYTES)
    const frames = this.envelopes(peerId, payload, mid)
    const timeout = AbortSignal.timeout(this.#options.timeoutMs)
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
    let reply: Frame
    try {
      const session = await this.#session(peerId, signal)
      reply = await session.exchange(frames, mid, signal)
    } catch (cause) {
      if (cause instanceof BridgeError) throw cause
      throw unreachable(peerId, cause)
    }
    return this.#settle(peerId, mid, reply)
  }

  /** The open session to `peerId`, or a new one (a new stream on the existing connection when there is one). */
  #session(peerId: string, signal: AbortSignal): Promise<OutboundSession> {
    const known = this.#sessions.get(peerId)
    if (known)
      return known.then(
        (s) => (s.closed ? this.#openSession(peerId, signal) : s),
        () => this.#openSession(peerId, signal),
      )
    return this.#openSession(peerId, signal)
  }

  #openSession(peerId: string, signal: AbortSignal): Promise<OutboundSession> {
    const host = this.#deps.host
    const id = peerIdFromString(peerId)
    const opening = (async () => {
      // A dial by peer id of a peer with no known address goes to a DHT lookup, which with no
      // connection at all only waits out the timeout, and every other dial of that peer
      // meanwhile (the bootstrap's, with the right address) joins it and fails with it.
      // Fail at once instead (the caller retries), or look the peer up outside the dial.
      if (host.getConnections(id).length === 0 && (await addressesOf(host, id)) === 0) {
        if (host.getConnections().length === 0)
          throw new Error('no address of the peer known and no connected peer to look it up through')
        await host.peerRouting.findPeer(id, { signal })
      }
      const stream = await host.dialProtocol(id, DIRECT_PROTOCOL, { signal })
      return new OutboundSession(stream, () => {
        if (this.#sessions.get(peerId) === opening) this.#sessions.delete(peerId)
      })
    })()
    this.#sessions.set(peerId, opening)
    opening.catch(() => {
      if (this.#sessions.get(peerId) === opening) this.#sessions.delete(peerId)
    })
    return opening
  }

  /**
   * The envelope frames of `payload` sealed to `peerId`, as `send` writes them (and as a
   * holder keeps them for an offline peer).
   * @throws NODE_MESSAGE_TOO_LARGE; PEER_ID_INVALID.
   */
  envelopes(peerId: string, payload: Uint8Array, mid: Uint8Array): Uint8Array[] {
    if (payload.length > this.#options.maxMessageBytes)
      throw tooLarge(payload.length, this.#options.maxMessageBytes)
    const recipientKey = this.#publicKeyOf(peerId)
    const plaintexts = chunkPlaintexts(mid, payload)
    return plaintexts.map((plaintext, index) =>
      encodeFrame({
        type: 'envelope',
        mid,
        index,
        count: plaintexts.length,
        sealed: seal(this.#deps.identity, recipientKey, plaintext),
      }),
    )
  }

  /** See InboundStreams.acceptHeld. */
  acceptHeld(frames: readonly Uint8Array[], handler: InboundHandler, holder: string): Promise<void> {
    return this.#inbound.acceptHeld(frames, handler, holder)
  }

  /** @throws PEER_ID_INVALID, PEER_ID_NOT_ED25519. */
  #publicKeyOf(peerId: string): Uint8Array {
    let key = this.#peerKeys.get(peerId)
    if (key === undefined) {
      key = publicKeyFromPeerId(peerId)
      this.#peerKeys.set(peerId, key)
    }
    return key
  }

  /** The answer the session matched to `mid`: a reject, or receipts that include `mid`. */
  #settle(peerId: string, mid: Uint8Array, reply: Frame): Receipt {
    if (reply.type === 'reject')
      throw new BridgeError(
        'DIRECT_REJECTED',
        `${peerId} refused the message: ${reply.code}: ${reply.message}`,
        {
          retryable: reply.retryable,
          status: 502,
        },
      )
    if (reply.type !== 'receipts')
      throw new BridgeError('DIRECT_RECEIPT_INVALID', `${peerId} answered with an envelope`)
    let verified = this.#verified.get(reply)
    if (verified === undefined) {
      verified = verifyReceipts(reply, this.#publicKeyOf(peerId), this.#deps.identity.publicKey)
      this.#verified.set(reply, verified)
    }
    if (!verified)
      throw new BridgeError('DIRECT_RECEIPT_INVALID', `the receipt from ${peerId} does not verify`, {
        hint: 'the peer is broken or not who its peer id says; the message is treated as not delivered',
        retryable: true,
        status: 502,
      })
    this.#deps.metrics.direct('sent')
    return {
      mid,
      recipient: peerId,
      deliveredAt: reply.deliveredAt,
      signature: reply.signature,
      mids: reply.mids,
    }
  }
}

function unreachable(peerId: string, cause: unknown): BridgeError {
  return new BridgeError('NODE_PEER_UNREACHABLE', `cannot reach ${peerId} on ${DIRECT_PROTOCOL}`, {
    cause,
    hint: 'the peer may be offline: the message is retried, and held for it when holding is on',
    retryable: true,
    status: 503,
  })
}
