import type { Hono } from 'hono'
import type { BridgeMessage, MessageKind } from './core/message.ts'
import type { Logger } from './log/logger.ts'

/**
 * The one seam every network plugs into. An adapter translates between its network and the
 * canonical BridgeMessage; it never decides routing, fees or retries (the relay does).
 *
 * Plugins are two-stage factories, configured once and built with the runtime's components:
 *
 * @example
 *   export const webhook = (config: WebhookConfig): AdapterFactory => (components) => new WebhookAdapter(config, components)
 *
 * Optional features are separate interfaces (below), detected at run time with their guards;
 * a feature an adapter lacks yields a clear "not supported" outcome, never a crash or a drop.
 */
export interface Adapter {
  /** The network name, as in addresses and conversations: 'webhook', 'matrix', 'email', 'evm', 'mainframe'. */
  readonly network: string
  /** What the network carries natively; anything else is degraded to text before `deliver`. */
  readonly capabilities: Capabilities
  /**
   * Connects and begins receiving. May do network I/O and block until the adapter can
   * deliver. Inbound traffic enters through `ctx.ingest` only.
   * @throws BridgeError when the network cannot be reached (the process reports it in /readyz).
   */
  start(ctx: AdapterContext): Promise<void>
  /**
   * Delivers one message to one target. Must be idempotent by `msg.id`: the relay may call it
   * again after a crash or a timeout, and the adapter passes the id on (an idempotency key,
   * a transaction id) so that the far side can dedupe. Does network I/O; honours `signal`.
   * @throws BridgeError with `retryable: true` for transient failures (timeouts, 5xx, 429),
   *   `retryable: false` for permanent ones (4xx, a target that does not exist): the relay
   *   retries the first with backoff and dead-letters the second with its message.
   */
  deliver(msg: BridgeMessage, target: Target, signal: AbortSignal): Promise<Delivery>
  /** Stops receiving and releases connections; deliveries in flight are left to finish or abort. */
  stop(): Promise<void>
}

/** What the runtime gives an adapter when it is built. */
export interface AdapterComponents {
  readonly log: Logger
  /** Read access to links, e.g. to find the secret of an inbound endpoint. */
  readonly links: LinkLookup
  /** Read access to stored messages, to carry relations (replies, edits) across networks. */
  readonly messages: MessageLookup
}

export interface MessageLookup {
  /** Where the message with this id came from, or undefined when this bridge has no such message. */
  origin(id: string): Promise<BridgeMessage['origin'] | undefined>
}

/** A link as an adapter sees it: its endpoints and their settings. */
export interface LinkView {
  readonly id: string
  readonly name: string
  readonly endpoints: readonly {
    readonly network: string
    readonly address: string
    readonly direction: 'in' | 'out' | 'both'
    readonly options: Readonly<Record<string, unknown>>
  }[]
}

export interface LinkLookup {
  get(id: string): Promise<LinkView | undefined>
  /** The links with an endpoint of this network and address (e.g. a Matrix room's portals). */
  findByEndpoint(network: string, address: string): Promise<LinkView[]>
}

/** A plugin, configured: builds its adapter from the runtime's components. */
export type AdapterFactory = (components: AdapterComponents) => Adapter

/** What `start` receives. */
export interface AdapterContext {
  /**
   * Hands an inbound message to the pipeline. Resolves once it is persisted, routed and its
   * deliver jobs enqueued; only then may the adapter acknowledge the inbound side. Idempotent
   * by `msg.id`.
   * @throws BridgeError (invalid message, unknown conversation) — answer the sender with it.
   */
  ingest(msg: BridgeMessage): Promise<IngestResult>
  /** A Hono app mounted at `/adapters/<network>/`; routes there are served as they are (own auth). */
  readonly routes: Hono
  /**
   * A Hono app mounted at the server's root, for paths a network's spec fixes (Matrix's
   * `/_matrix/app/v1/`). Its routes authenticate themselves and set their own body limit.
   */
  readonly specRoutes: Hono
  /** Aborted when the bridge is stopping. */
  readonly signal: AbortSignal
}

export interface IngestResult {
  readonly id: string
  /** True when this id was already ingested (nothing new was enqueued). */
  readonly duplicate: boolean
}

export interface Capabilities {
  /** Kinds carried natively. A kind missing here is rendered as text (see src/relay/degrade.ts). */
  readonly kinds: ReadonlySet<MessageKind>
  /** Whether `body.html` is kept; without it only `body.text` is sent. */
  readonly html: boolean
  /** Largest message the network accepts, in bytes of the translated payload. */
  readonly maxBytes: number
  /**
   * Whether messages of one conversation must reach one target in the order they were
   * ingested (a Matrix room: readers see a timeline). The relay then delivers them one after
   * the other; other targets get them concurrently.
   */
  readonly ordered?: boolean
}

/** Where one delivery goes: one endpoint of a link, in the adapter's own terms. */
export interface Target {
  readonly linkId: string
  readonly network: string
  /** The endpoint within its network: a URL, a room id, an address, a topic. */
  readonly address: string
  /** Endpoint settings the adapter reads (e.g. a webhook's signing secret). */
  readonly options: Readonly<Record<string, unknown>>
}

/** The receipt of one delivery. */
export interface Delivery {
  /** The id the far side gave it (event id, Message-ID, tx hash), when there is one. */
  readonly nativeId?: string
  readonly deliveredAt: number
}

/** Optional: an adapter that reports its own health for /readyz (Matrix ping, IMAP connected, chain head). */
export interface HealthReporting {
  health(): Promise<{ ok: boolean; detail?: string }>
}

/**
 * Optional: an adapter that tells its own users when their message could not be delivered
 * elsewhere (Matrix: a notice in the room, as a reply to the message). Called once, when a
 * delivery of a message that came from this network goes to dead letters. Best effort: a
 * failure to report is logged by the caller, never retried.
 */
export interface FailureReporting {
  reportFailure(
    msg: BridgeMessage,
    target: { readonly network: string; readonly address: string },
    error: { readonly code: string; readonly message: string },
  ): Promise<void>
}

export function reportsFailures(adapter: Adapter): adapter is Adapter & FailureReporting {
  return typeof (adapter as Partial<FailureReporting>).reportFailure === 'function'
}

export function reportsHealth(adapter: Adapter): adapter is Adapter & HealthReporting {
  return typeof (adapter as Partial<HealthReporting>).health === 'function'
}
