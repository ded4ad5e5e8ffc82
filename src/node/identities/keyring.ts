import { generateIdentity, identityFromSeed, type NodeIdentity } from '../../crypto/identity.ts'
import { Lru } from '../../crypto/lru.ts'
import type { BridgeIdentity, IdentityRepo } from '../../store/identity-port.ts'
import { RowSealer } from '../row-sealer.ts'

/** Unsealed identities kept in memory; each is a few hundred bytes with its key objects. */
const CACHE_SIZE = 10_000

/**
 * The bridge identities this node holds (DESIGN.md "Identities"): one Ed25519 key per person of
 * another network, made on first use, stored sealed under a key derived from the node identity
 * (HKDF info "mainframe/bridge-identity/v1", the subject bound as associated data).
 */
export class Keyring {
  readonly #repo: IdentityRepo
  readonly #sealer: RowSealer
  readonly #bySubject = new Lru<string, NodeIdentity>(CACHE_SIZE)
  readonly #byPeer = new Lru<string, NodeIdentity>(CACHE_SIZE)
  readonly #making = new Map<string, Promise<{ identity: NodeIdentity; created: boolean }>>()

  constructor(node: NodeIdentity, repo: IdentityRepo) {
    this.#repo = repo
    this.#sealer = new RowSealer(node, {
      info: 'mainframe/bridge-identity/v1',
      errorCode: 'NODE_IDENTITY_SEALED_INVALID',
      what: 'stored bridge identity of',
      hint: 'the store was written by another node key, or altered; restore the node key the bridge used',
    })
  }

  /**
   * The identity of `subject` (an address URI such as `matrix:@alice:example.org`), made and
   * stored on first use; `created` is true for the call that made it. Concurrent calls for one
   * subject, in this process or others sharing the store, all get the same key.
   * @throws STORE_* errors (retryable ones when the store is unreachable), and
   *   NODE_IDENTITY_SEALED_INVALID when the stored key does not open with this node's key.
   */
  async ensure(subject: string): Promise<{ identity: NodeIdentity; created: boolean }> {
    const cached = this.#bySubject.get(subject)
    if (cached) return { identity: cached, created: false }
    const joined = this.#making.get(subject)
    if (joined) return { identity: (await joined).identity, created: false }
    const pending = this.#make(subject).finally(() => this.#making.delete(subject))
    this.#making.set(subject, pending)
    return pending
  }

  /** The identity with this peer id if this node holds it. */
  async byPeerId(peerId: string): Promise<NodeIdentity | undefined> {
    const cached = this.#byPeer.get(peerId)
    if (cached) return cached
    const row = await this.#repo.byPeerId(peerId)
    return row === undefined ? undefined : this.#open(row)
  }

  async #make(subject: string): Promise<{ identity: NodeIdentity; created: boolean }> {
    const stored = await this.#repo.bySubject(subject)
    if (stored) return { identity: this.#open(stored), created: false }
    const fresh = generateIdentity()
    const row = await this.#repo.create({
      peerId: fresh.peerId,
      subject,
      publicKey: fresh.publicKey,
      sealedSeed: this.#sealer.seal(subject, fresh.seed),
    })
    // Another process may have made the subject's key first: the stored one wins.
    return { identity: this.#open(row), created: row.peerId === fresh.peerId }
  }

  #open(row: BridgeIdentity): NodeIdentity {
    const seed = this.#sealer.open(row.subject, row.sealedSeed)
    try {
      const identity = identityFromSeed(seed)
      this.#bySubject.set(row.subject, identity)
      this.#byPeer.set(identity.peerId, identity)
      return identity
    } finally {
      seed.fill(0)
    }
  }
}
