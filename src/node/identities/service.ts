import type { NodeIdentity } from '../../crypto/identity.ts'
import type { Logger } from '../../log/logger.ts'
import type { IdentityRepo } from '../../store/identity-port.ts'
import type { Host } from '../host.ts'
import { type DirectoryOptions, IdentityDirectory } from './directory.ts'
import { Keyring } from './keyring.ts'

/** Where a message addressed to a peer id goes on the wire. */
export interface Route {
  /** The node to send it to. */
  readonly via: string
  /** The bridge identity it is for, when `via` hosts one; undefined: for `via` itself. */
  readonly recipient?: string
}

/**
 * Bridge identities as the rest of the node uses them (DESIGN.md "Identities"): the key that
 * speaks for a person of another network, whether this node hosts an identity, and where a
 * message to a peer id must go.
 */
export class BridgeIdentities {
  readonly keyring: Keyring
  readonly directory: IdentityDirectory
  readonly #node: NodeIdentity
  readonly #log: Logger

  constructor(
    deps: { host: Host; node: NodeIdentity; repo: IdentityRepo; log: Logger },
    options: DirectoryOptions,
  ) {
    this.#node = deps.node
    this.#log = deps.log
    this.keyring = new Keyring(deps.node, deps.repo)
    this.directory = new IdentityDirectory({ ...deps, keyring: this.keyring }, options)
  }

  start(): void {
    this.directory.start()
  }

  stop(): Promise<void> {
    return this.directory.stop()
  }

  /**
   * The identity that speaks for `subject` (an address URI of another network). A new one is
   * announced at once in the background; should that fail, the republish sweep retries it.
   */
  async speakerFor(subject: string): Promise<NodeIdentity> {
    const { identity, created } = await this.keyring.ensure(subject)
    if (created) {
      this.#log.info({ identity: identity.peerId }, 'bridge identity created')
      void this.directory.announce(identity).catch((err) => {
        this.#log.warn({ err, identity: identity.peerId }, 'announcing a new bridge identity failed')
      })
    }
    return identity
  }

  /** Whether this node holds the identity `peerId` (and so receives for it). */
  async hosts(peerId: string): Promise<boolean> {
    return (await this.keyring.byPeerId(peerId)) !== undefined
  }

  /** A node: to itself. A bridge identity: to the first node its record names. */
  async route(peerId: string): Promise<Route> {
    const found = await this.directory.resolve(peerId)
    if (found.kind === 'node') return { via: peerId }
    return { via: found.record.hosts[0] as string, recipient: peerId }
  }

  /** This node's own peer id. */
  get nodePeerId(): string {
    return this.#node.peerId
  }
}
