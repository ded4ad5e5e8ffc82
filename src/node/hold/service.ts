import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { BridgeError } from '../../core/errors.ts'
import { decodeHoldFrame, encodeHoldFrame, HOLD_PROTOCOL, type HoldFrame, MAX_FRAME_BYTES } from './frames.ts'
import { serveHold } from './holder.ts'
import { FETCH_PAGE, type HoldDeps, type HoldOptions } from './options.ts'

export type { HoldDeps, HoldOptions } from './options.ts'

/**
 * Takes one fetched packet (sealed envelopes) and hands its message on; resolves once it is
 * safe to acknowledge (delete) it at the holder. Throws a retryable BridgeError to leave it
 * held (the pipeline is down); any other error drops it (it can never be read here).
 */
export type HeldPacketHandler = (packet: Uint8Array, holder: string) => Promise<void>

/** How long a lookup of the nodes nearest a recipient is reused. */
const HOLDERS_TTL_MS = 30_000

/**
 * Packet holding on `/mainframe/hold/1.0.0` (docs/wire-hold.md). As a holder, a node keeps
 * sealed packets for offline peers (it cannot read them) within per-sender quotas and a TTL,
 * serves them only to their recipient (the connection's authenticated peer id), and deletes
 * them once acknowledged. As a sender, it hands a packet to the `replicas` nodes nearest the
 * recipient in the DHT. As a recipient, it asks its nearest nodes for packets when it comes
 * online and every `fetchIntervalMs`.
 */
export class PacketHolding {
  readonly #deps: HoldDeps
  readonly #options: HoldOptions
  #timer: NodeJS.Timeout | undefined
  #fetching: Promise<number> | undefined
  #handler: HeldPacketHandler | undefined
  #stopped = false
  readonly #holders = new Map<string, { at: number; peers: Promise<PeerId[]> | PeerId[] }>()
  readonly #onConnect = () => {
    void this.fetchNow()
  }

  constructor(deps: HoldDeps, options: HoldOptions) {
    this.#deps = deps
    this.#options = options
  }

  async start(handler: HeldPacketHandler): Promise<void> {
    this.#handler = handler
    await this.#deps.host.handle(
      HOLD_PROTOCOL,
      (stream, connection) => serveHold(this.#deps, this.#options, stream, connection),
      {
        maxInboundStreams: 64,
      },
    )
    // Coming online (the first connections) is when held packets are worth asking for.
    this.#deps.host.addEventListener('peer:connect', this.#onConnect)
    this.#timer = setInterval(() => {
      void this.fetchNow()
      void this.#deps.held
        .deleteExpired()
        .catch((err) => this.#deps.log.warn({ err }, 'dropping expired held packets failed'))
    }, this.#options.fetchIntervalMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    this.#deps.host.removeEventListener('peer:connect', this.#onConnect)
    await this.#fetching?.catch(() => 0)
    await this.#deps.host.unhandle(HOLD_PROTOCOL).catch(() => {})
  }

  /**
   * Hands `packet` (at most 16 MiB) to the nodes nearest `recipient`; resolves with the peer
   * ids of those that stored it (or had it already).
   * @throws NODE_HOLD_FAILED (retryable) when none did.
   */
  async hold(recipient: string, id: string, packet: Uint8Array, signal?: AbortSignal): Promise<string[]> {
    const candidates = await this.#holdersFor(recipient, signal)
    const results = await Promise.all(
      candidates.slice(0, this.#options.replicas + 2).map(async (holder) => {
        try {
          const reply = await this.#request(
            holder,
            [{ type: 'store', recipient, id, ttlSeconds: this.#options.ttlSeconds, packet }],
            signal,
          )
          return reply[0]?.type === 'stored' &&
            (reply[0].result === 'stored' || reply[0].result === 'duplicate')
            ? holder.toString()
            : undefined
        } catch (err) {
          this.#deps.log.debug({ err, holder: holder.toString() }, 'a holder did not take the packet')
          return undefined
        }
      }),
    )
    const holders = results.filter((h): h is string => h !== undefined).slice(0, this.#options.replicas)
    if (holders.length === 0)
      throw new BridgeError('NODE_HOLD_FAILED', `no node near ${recipient} would hold a message for it`, {
        hint: 'the network may be too small or every holder is full; the delivery is retried',
        retryable: true,
        status: 503,
      })
    return holders
  }

  /**
   * The nodes nearest `recipient`, looked up in the DHT at most every HOLDERS_TTL_MS: a burst
   * of messages to one offline peer costs one lookup, not one each.
   */
  async #holdersFor(recipient: string, signal?: AbortSignal): Promise<PeerId[]> {
    const cached = this.#holders.get(recipient)
    if (cached && Date.now() - cached.at < HOLDERS_TTL_MS) return cached.peers
    const lookup = this.#nearest(peerIdFromString(recipient), [recipient], signal).then((peers) => {
      // Nobody found (no connections yet): ask again next time rather than for HOLDERS_TTL_MS.
      if (peers.length === 0 && this.#holders.get(recipient)?.peers === cachedPeers)
        this.#holders.delete(recipient)
      return { at: Date.now(), peers }
    })
    const cachedPeers = lookup.then((l) => l.peers)
    this.#holders.set(recipient, { at: Date.now(), peers: cachedPeers })
    if (this.#holders.size > 10_000) this.#holders.delete(this.#holders.keys().next().value as string)
    return (await lookup).peers
  }

  /** Asks the nodes nearest this one for held packets now; resolves with how many were taken. */
  fetchNow(): Promise<number> {
    if (this.#stopped || !this.#handler) return Promise.resolve(0)
    this.#fetching ??= this.#fetchAll(this.#handler).finally(() => {
      this.#fetching = undefined
    })
    return this.#fetching
  }

  async #fetchAll(handler: HeldPacketHandler): Promise<number> {
    let taken = 0
    try {
      const self = this.#deps.host.peerId
      const holders = await this.#nearest(self, [], AbortSignal.timeout(this.#options.timeoutMs))
      // One holder after the other, each in the order it stored: a sender's messages come in order.
      for (const holder of holders) taken += await this.#fetchFrom(holder, handler)
      if (taken) this.#deps.log.info({ count: taken }, 'held messages fetched')
    } catch (err) {
      this.#deps.log.warn({ err }, 'fetching held messages failed')
    }
    return taken
  }

  async #fetchFrom(holder: PeerId, handler: HeldPacketHandler): Promise<number> {
    let taken = 0
    for (;;) {
      const [batch] = await this.#request(holder, [{ type: 'fetch', limit: FETCH_PAGE, after: null }])
      if (batch?.type !== 'batch' || batch.packets.length === 0) return taken
      const done: string[] = []
      let blocked = false
      for (const p of batch.packets) {
        try {
          await handler(p.packet, holder.toString())
          done.push(p.id)
        } catch (err) {
          if (err instanceof BridgeError && err.retryable) {
            blocked = true
            break
          }
          // A packet this node can never read: drop it at the holder too.
          this.#deps.metrics.dropped(
            HOLD_PROTOCOL,
            err instanceof BridgeError ? err.code : 'HOLD_PACKET_FAILED',
          )
          this.#deps.log.warn({ holder: holder.toString(), id: p.id, err }, 'held packet dropped')
          done.push(p.id)
        }
      }
      if (done.length) await this.#request(holder, [{ type: 'ack', ids: done }])
      taken += done.length
      if (blocked || !batch.more) return taken
    }
  }

  /** Peers nearest `key` in the DHT (connected peers when the DHT knows too few), never this node or `exclude`. */
  async #nearest(key: PeerId, exclude: string[], signal?: AbortSignal): Promise<PeerId[]> {
    const skip = new Set([this.#deps.host.peerId.toString(), ...exclude])
    const found = new Map<string, PeerId>()
    // With no connection the DHT has no one to ask: its lookup would only wait out the timeout.
    if (this.#deps.host.getConnections().length === 0) return []
    try {
      for await (const event of this.#deps.host.services.dht.getClosestPeers(key.toMultihash().bytes, {
        signal: signal ?? AbortSignal.timeout(this.#options.timeoutMs),
      }))
        if (event.name === 'FINAL_PEER' && !skip.has(event.peer.id.toString()))
          found.set(event.peer.id.toString(), event.peer.id)
    } catch (err) {
      this.#deps.log.debug({ err }, 'DHT lookup of nearest peers failed')
    }
    for (const peer of this.#deps.host.getPeers())
      if (!skip.has(peer.toString())) found.set(peer.toString(), peer)
    return [...found.values()]
  }

  /** Writes `frames` on a new stream to `peer` and reads one answer per frame. */
  async #request(peer: PeerId, frames: HoldFrame[], signal?: AbortSignal): Promise<HoldFrame[]> {
    const s = signal ?? AbortSignal.timeout(this.#options.timeoutMs)
    const stream = await this.#deps.host.dialProtocol(peer, HOLD_PROTOCOL, { signal: s })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
      const answers: HoldFrame[] = []
      for (const frame of frames) {
        await lp.write(encodeHoldFrame(frame), { signal: s })
        const answer = decodeHoldFrame((await lp.read({ signal: s })).subarray())
        if (answer.type === 'error')
          throw new BridgeError('NODE_HOLD_REFUSED', `${peer} refused: ${answer.code}: ${answer.message}`, {
            retryable: true,
          })
        answers.push(answer)
      }
      await stream.close({ signal: s }).catch(() => {})
      return answers
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }
}
