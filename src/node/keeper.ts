import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../log/logger.ts'
import type { Host } from './host.ts'

export interface KeeperOptions {
  /** First redial delay after a failed dial or a lost connection; doubles up to maxDelayMs. */
  readonly minDelayMs?: number
  readonly maxDelayMs?: number
  /** How long one dial (a DHT lookup included) may take. */
  readonly dialTimeoutMs: number
}

interface Target {
  readonly peerId: PeerId
  /** Where to dial it (a bootstrap address); empty: through the peer store, then the DHT. */
  readonly addrs: Multiaddr[]
  delayMs: number
  timer: NodeJS.Timeout | undefined
  dialing: boolean
}

/**
 * Keeps this node connected to peers it needs: its bootstrap peers (dialled at their
 * configured address) and the members of its groups (dialled by peer id: the peer store's
 * addresses, else a DHT lookup). A peer not connected is dialled at once, then again with
 * backoff (minDelayMs doubling to maxDelayMs) until it answers; a lost connection is redialled
 * the same way. libp2p's bootstrap discovery dials once only: a bootstrap peer that was down
 * or unreachable at that moment (or a dial that lost a race) would never be tried again.
 */
export class PeerKeeper {
  readonly #host: Host
  readonly #log: Logger
  readonly #minDelayMs: number
  readonly #maxDelayMs: number
  readonly #dialTimeoutMs: number
  readonly #targets = new Map<string, Target>()
  #started = false
  readonly #onConnect = (event: CustomEvent<PeerId>) => {
    const target = this.#targets.get(event.detail.toString())
    if (!target) return
    clearTimeout(target.timer)
    target.timer = undefined
    target.delayMs = this.#minDelayMs
  }
  readonly #onDisconnect = (event: CustomEvent<PeerId>) => {
    const target = this.#targets.get(event.detail.toString())
    if (target) this.#schedule(target, this.#minDelayMs)
  }

  constructor(host: Host, log: Logger, options: KeeperOptions) {
    this.#host = host
    this.#log = log
    this.#minDelayMs = options.minDelayMs ?? 500
    this.#maxDelayMs = options.maxDelayMs ?? 30_000
    this.#dialTimeoutMs = options.dialTimeoutMs
  }

  /** Starts keeping the peers wanted so far (and any wanted later). */
  start(): void {
    if (this.#started) return
    this.#started = true
    this.#host.addEventListener('peer:connect', this.#onConnect)
    this.#host.addEventListener('peer:disconnect', this.#onDisconnect)
    for (const target of this.#targets.values()) this.#schedule(target, 0)
  }

  stop(): void {
    this.#started = false
    this.#host.removeEventListener('peer:connect', this.#onConnect)
    this.#host.removeEventListener('peer:disconnect', this.#onDisconnect)
    for (const target of this.#targets.values()) clearTimeout(target.timer)
    this.#targets.clear()
  }

  /**
   * Keeps a bootstrap peer: `address` is a multiaddr ending in /p2p/<peer id>. Its address goes
   * into the peer store at once, so a dial by peer id finds it before any connection exists.
   * Addresses without a peer id are ignored (libp2p's bootstrap logs them).
   */
  async keepAddress(address: string): Promise<void> {
    let ma: Multiaddr
    try {
      ma = multiaddr(address)
    } catch {
      return
    }
    const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (id === undefined) return
    const peerId = peerIdFromString(id)
    if (peerId.equals(this.#host.peerId)) return
    await this.#host.peerStore.merge(peerId, { multiaddrs: [ma] }).catch(() => {})
    const known = this.#targets.get(id)
    if (known) known.addrs.push(ma)
    else this.#add(peerId, [ma])
  }

  /** Keeps exactly `peerIds` among the peers kept by id (bootstrap peers stay). */
  keepPeers(peerIds: Iterable<string>): void {
    const wanted = new Set(peerIds)
    wanted.delete(this.#host.peerId.toString())
    for (const [id, target] of this.#targets)
      if (target.addrs.length === 0 && !wanted.has(id)) {
        clearTimeout(target.timer)
        this.#targets.delete(id)
      }
    for (const id of wanted) if (!this.#targets.has(id)) this.#add(peerIdFromString(id), [])
  }

  /** Peer ids kept (for tests). */
  kept(): string[] {
    return [...this.#targets.keys()]
  }

  #add(peerId: PeerId, addrs: Multiaddr[]): void {
    const target: Target = { peerId, addrs, delayMs: this.#minDelayMs, timer: undefined, dialing: false }
    this.#targets.set(peerId.toString(), target)
    if (this.#started) this.#schedule(target, 0)
  }

  #connected(target: Target): boolean {
    return this.#host.getConnections(target.peerId).some((c) => c.status === 'open')
  }

  #schedule(target: Target, delayMs: number): void {
    if (!this.#started || target.dialing || target.timer !== undefined) return
    target.timer = setTimeout(() => {
      target.timer = undefined
      void this.#dial(target)
    }, delayMs)
    target.timer.unref()
  }

  async #dial(target: Target): Promise<void> {
    if (!this.#started || this.#targets.get(target.peerId.toString()) !== target) return
    if (this.#connected(target)) {
      target.delayMs = this.#minDelayMs
      return
    }
    target.dialing = true
    try {
      const signal = AbortSignal.timeout(this.#dialTimeoutMs)
      if (target.addrs.length > 0) await this.#host.dial(target.addrs, { signal })
      else await dialById(this.#host, target.peerId, signal)
      target.delayMs = this.#minDelayMs
    } catch (err) {
      this.#log.debug(
        { peer: target.peerId.toString(), retryInMs: target.delayMs, err: (err as Error).message },
        'peer not reached: dialling again later',
      )
      target.dialing = false
      this.#schedule(target, target.delayMs)
      target.delayMs = Math.min(target.delayMs * 2, this.#maxDelayMs)
    } finally {
      target.dialing = false
    }
  }
}

/**
 * Whether a dial by peer id alone can only hang: no connection to the peer, no address of it
 * in the peer store, and no connection at all to look it up through. libp2p would wait in
 * a DHT lookup until the dial times out, and every other dial of that peer meanwhile (the
 * bootstrap's, with the right address) joins that doomed dial.
 */
export async function addressesOf(host: Host, peerId: PeerId): Promise<number> {
  try {
    return (await host.peerStore.get(peerId)).addresses.length
  } catch {
    return 0
  }
}

/**
 * Dials `peerId` by id: with the peer store's addresses, else after a DHT lookup (only when
 * connected to someone to ask), and once more after a lookup when the stored addresses fail
 * (the peer came back on another port).
 * @throws when it cannot be reached (the lookup found nothing, or every address failed).
 */
export async function dialById(host: Host, peerId: PeerId, signal: AbortSignal): Promise<void> {
  if (host.getConnections(peerId).length > 0) return
  if ((await addressesOf(host, peerId)) === 0) {
    if (host.getConnections().length === 0)
      throw new Error('no address known and no peer to look it up through')
    await host.peerRouting.findPeer(peerId, { signal })
    await host.dial(peerId, { signal })
    return
  }
  try {
    await host.dial(peerId, { signal })
  } catch (err) {
    if (signal.aborted || host.getConnections().length === 0) throw err
    const found = await host.peerRouting.findPeer(peerId, { signal })
    await host.dial(found.multiaddrs, { signal })
  }
}
