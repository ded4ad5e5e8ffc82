import { BridgeError } from '../core/errors.ts'
import { toHex } from '../crypto/bytes.ts'
import type { NodeIdentity } from '../crypto/identity.ts'
import type { Logger } from '../log/logger.ts'
import type { DedupeRepo, HeldRepo } from '../store/port.ts'
import { packFrames, unpackFrames } from './direct/held-packet.ts'
import type { Receipt } from './direct/receipt.ts'
import { DirectMessages, type InboundHandler } from './direct/service.ts'
import { type HoldOptions, PacketHolding } from './hold/service.ts'
import { createHost, type Host, type HostOptions } from './host.ts'
import { PeerKeeper } from './keeper.ts'
import type { NodeMetrics } from './metrics.ts'
import { PAYLOAD_KINDS } from './payload-kinds.ts'

/** Settings of a node (from `config.node`). */
export interface NodeOptions extends HostOptions {
  readonly maxMessageBytes: number
  /** How long one direct exchange (dial, send, receipt) may take. */
  readonly timeoutMs: number
  /** Packet holding, for others and for this node's messages to offline peers; undefined: off. */
  readonly hold?: Omit<HoldOptions, 'timeoutMs'>
}

/** What became of a message: delivered with the recipient's receipt, or held for it. */
export type SendOutcome =
  | { readonly kind: 'delivered'; readonly receipt: Receipt }
  | {
      readonly kind: 'held'
      readonly mid: Uint8Array
      readonly holders: readonly string[]
      readonly at: number
    }

/** A connected peer as the API shows it. */
export interface PeerInfo {
  readonly peerId: string
  readonly addresses: string[]
  /** inbound: it dialled us; outbound: we dialled it. */
  readonly direction: 'inbound' | 'outbound'
  readonly openedAt: number
}

/** How long a received message id is remembered, so held copies fetched later are dropped. */
const SEEN_TTL_MS = 30 * 24 * 3600_000
/** How long a peer that could not be reached is held for rather than dialled again. */
const UNREACHABLE_MS = 10_000

/**
 * A running Mainframe node: the libp2p host and the protocols on it. Start it with
 * `startNode`; stop it with `stop()` (idempotent).
 */
export interface MainframeNode {
  readonly identity: NodeIdentity
  readonly host: Host
  /** Listen addresses with /p2p/<peer id>, as others bootstrap from them. */
  addresses(): string[]
  peers(): PeerInfo[]
  /** See DirectMessages.send. */
  send(
    peerId: string,
    payload: Uint8Array,
    options?: { mid?: Uint8Array; signal?: AbortSignal },
  ): Promise<Receipt>
  /**
   * Sends directly; when the peer cannot be reached and holding is on, hands the sealed
   * message to the nodes nearest the peer instead, to be fetched when it comes back.
   * @throws as `send`, and NODE_HOLD_FAILED (retryable) when no holder took it.
   */
  sendOrHold(
    peerId: string,
    payload: Uint8Array,
    options: { mid: Uint8Array; signal?: AbortSignal },
  ): Promise<SendOutcome>
  /** Asks this node's holders for messages held for it now; resolves with how many it took. */
  fetchHeld(): Promise<number>
  /**
   * Where inbound direct messages go (the mainframe adapter sets it when it starts). Until
   * one is set, senders are told to retry: nothing is receipted that was not handed on.
   */
  onDirect(handler: InboundHandler | undefined): void
  /** Where group control payloads (first byte PAYLOAD_KINDS.groupControl) go: the group service. */
  onGroupControl(handler: InboundHandler | undefined): void
  stop(): Promise<void>
}

export interface NodeDeps {
  readonly dedupe: DedupeRepo
  /** Packets this node holds for others (used when options.hold is set). */
  readonly held: HeldRepo
  readonly log: Logger
  readonly metrics: NodeMetrics
}

/**
 * Starts a node: host, then the direct message protocol.
 * @throws NODE_START_FAILED when the host cannot listen.
 */
export async function startNode(
  identity: NodeIdentity,
  options: NodeOptions,
  deps: NodeDeps,
): Promise<MainframeNode> {
  const host = await createHost(identity, options)
  // Bootstrap peers are dialled at once and again with backoff until they answer (libp2p's
  // bootstrap discovery dials once, a second after the start); their addresses are in the
  // peer store before anything else dials them by peer id.
  const keeper = new PeerKeeper(host, deps.log, { dialTimeoutMs: options.timeoutMs })
  for (const address of options.bootstrap) await keeper.keepAddress(address)
  keeper.start()
  const direct = new DirectMessages(
    {
      host,
      identity,
      log: deps.log,
      metrics: deps.metrics,
      seen: {
        has: (mid) => deps.dedupe.has('mf-direct', toHex(mid)),
        add: async (mid) => void (await deps.dedupe.remember('mf-direct', toHex(mid), SEEN_TTL_MS)),
      },
    },
    { maxMessageBytes: options.maxMessageBytes, timeoutMs: options.timeoutMs },
  )
  let inbound: InboundHandler | undefined
  let groupControl: InboundHandler | undefined
  const dispatch: InboundHandler = (message) => {
    const handler = message.payload[0] === PAYLOAD_KINDS.groupControl ? groupControl : inbound
    if (!handler) throw notReady()
    return handler(message)
  }
  await direct.start(dispatch)
  const holding = options.hold
    ? new PacketHolding(
        { host, identity, held: deps.held, log: deps.log, metrics: deps.metrics },
        { ...options.hold, timeoutMs: options.timeoutMs },
      )
    : undefined
  await holding?.start((packet, holder) => direct.acceptHeld(unpackFrames(packet), dispatch, holder))
  const unreachable = new Map<string, number>()
  host.addEventListener('peer:connect', (event) => unreachable.delete(event.detail.toString()))
  let stopping: Promise<void> | undefined
  return {
    identity,
    host,
    addresses: () => host.getMultiaddrs().map(String),
    peers: () => peersOf(host),
    send: (peerId, payload, sendOptions) => direct.send(peerId, payload, sendOptions),
    async sendOrHold(peerId, payload, sendOptions) {
      if (!holding) return { kind: 'delivered', receipt: await direct.send(peerId, payload, sendOptions) }
      // A peer found unreachable moments ago is not dialled again for each message of a
      // burst: they go to its holders, and it fetches them when it is back.
      if ((unreachable.get(peerId) ?? 0) < Date.now()) {
        try {
          return { kind: 'delivered', receipt: await direct.send(peerId, payload, sendOptions) }
        } catch (err) {
          if (!(err instanceof BridgeError) || err.code !== 'NODE_PEER_UNREACHABLE') throw err
          unreachable.set(peerId, Date.now() + UNREACHABLE_MS)
          if (unreachable.size > 10_000) unreachable.delete(unreachable.keys().next().value as string)
        }
      }
      const packet = packFrames(direct.envelopes(peerId, payload, sendOptions.mid))
      const holders = await holding.hold(peerId, toHex(sendOptions.mid), packet, sendOptions.signal)
      deps.log.info({ peer: peerId, mid: toHex(sendOptions.mid), holders }, 'peer unreachable: message held')
      return { kind: 'held', mid: sendOptions.mid, holders, at: Date.now() }
    },
    fetchHeld: () => holding?.fetchNow() ?? Promise.resolve(0),
    onDirect: (handler) => {
      inbound = handler
    },
    onGroupControl: (handler) => {
      groupControl = handler
    },
    stop: () => {
      stopping ??= (async () => {
        keeper.stop()
        await holding?.stop().catch(() => {})
        await direct.stop().catch(() => {})
        await host.stop()
      })()
      return stopping
    },
  }
}

/** One entry per connected peer (a peer may have several connections), oldest first. */
function peersOf(host: Host): PeerInfo[] {
  const byPeer = new Map<string, PeerInfo>()
  for (const c of host.getConnections()) {
    const id = c.remotePeer.toString()
    const known = byPeer.get(id)
    if (known) known.addresses.push(c.remoteAddr.toString())
    else
      byPeer.set(id, {
        peerId: id,
        addresses: [c.remoteAddr.toString()],
        direction: c.direction,
        openedAt: c.timeline.open,
      })
  }
  return [...byPeer.values()].sort((a, b) => a.openedAt - b.openedAt)
}

function notReady(): BridgeError {
  return new BridgeError('NODE_NOT_READY', 'this node is not taking messages yet', {
    hint: 'it is starting or stopping; send again shortly',
    retryable: true,
    status: 503,
  })
}
