import { BridgeError } from '../core/errors.ts'
import { toHex } from '../crypto/bytes.ts'
import type { NodeIdentity } from '../crypto/identity.ts'
import type { Logger } from '../log/logger.ts'
import type { DedupeRepo } from '../store/port.ts'
import type { Receipt } from './direct/receipt.ts'
import { DirectMessages, type InboundHandler } from './direct/service.ts'
import { createHost, type Host, type HostOptions } from './host.ts'
import type { NodeMetrics } from './metrics.ts'
import { PAYLOAD_KINDS } from './payload-kinds.ts'

/** Settings of a node (from `config.node`). */
export interface NodeOptions extends HostOptions {
  readonly maxMessageBytes: number
  /** How long one direct exchange (dial, send, receipt) may take. */
  readonly timeoutMs: number
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
  await direct.start((message) => {
    const handler = message.payload[0] === PAYLOAD_KINDS.groupControl ? groupControl : inbound
    if (!handler) throw notReady()
    return handler(message)
  })
  let stopping: Promise<void> | undefined
  return {
    identity,
    host,
    addresses: () => host.getMultiaddrs().map(String),
    peers: () => peersOf(host),
    send: (peerId, payload, sendOptions) => direct.send(peerId, payload, sendOptions),
    onDirect: (handler) => {
      inbound = handler
    },
    onGroupControl: (handler) => {
      groupControl = handler
    },
    stop: () => {
      stopping ??= (async () => {
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
