import type { NodeIdentity } from '../../crypto/identity.ts'
import { Lru } from '../../crypto/lru.ts'
import type { Logger } from '../../log/logger.ts'
import type { IdentityRepo } from '../../store/identity-port.ts'
import type { Host } from '../host.ts'
import type { Keyring } from './keyring.ts'
import { type HostedBy, readHostedBy, recordKey, signHostedBy } from './record.ts'

/** Settings of the directory; the defaults suit a public network. */
export interface DirectoryOptions {
  /** How long a record is valid (default 24 h). */
  readonly recordTtlMs?: number
  /** How often identities are announced again (default 6 h): well inside the TTL. */
  readonly republishMs?: number
  /** How often the directory looks for identities due (default 60 s). */
  readonly sweepMs?: number
  /** How long a DHT lookup or put may take. */
  readonly timeoutMs: number
}

/** What a lookup found: the record, or nothing (then the address is taken to be a node). */
export type Resolution = { readonly kind: 'hosted'; readonly record: HostedBy } | { readonly kind: 'node' }

const HOUR = 3600_000
/** A found record is trusted this long before it is looked up again. */
const FOUND_TTL_MS = 10 * 60_000
/** "No record" is remembered this long: an identity announced meanwhile is found after it. */
const MISSING_TTL_MS = 60_000
const ANNOUNCE_BATCH = 100

/**
 * Bridge identities on the network: announces the "hosted by" record of every identity this
 * node holds (at creation, then every `republishMs`), and resolves a peer id to the nodes
 * hosting it. Lookups are cached, so a burst to one address costs one DHT query.
 */
export class IdentityDirectory {
  readonly #deps: { host: Host; node: NodeIdentity; repo: IdentityRepo; keyring: Keyring; log: Logger }
  readonly #ttl: number
  readonly #republish: number
  readonly #sweepMs: number
  readonly #timeoutMs: number
  readonly #cache = new Lru<string, { resolution: Resolution; until: number }>(10_000)
  readonly #lookups = new Map<string, Promise<Resolution>>()
  #timer: NodeJS.Timeout | undefined
  #sweeping: Promise<void> | undefined
  #stopped = false

  constructor(
    deps: { host: Host; node: NodeIdentity; repo: IdentityRepo; keyring: Keyring; log: Logger },
    options: DirectoryOptions,
  ) {
    this.#deps = deps
    this.#ttl = options.recordTtlMs ?? 24 * HOUR
    this.#republish = options.republishMs ?? 6 * HOUR
    this.#sweepMs = options.sweepMs ?? 60_000
    this.#timeoutMs = options.timeoutMs
  }

  /** Starts the republish sweep (the first runs at once). */
  start(): void {
    const tick = () => {
      this.#sweeping = this.sweep()
        .then(() => {})
        .catch((err) => this.#deps.log.warn({ err }, 'announcing bridge identities failed; retrying later'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#sweepMs)
        })
    }
    tick()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#sweeping
  }

  /**
   * Announces every identity not announced within `republishMs`, in batches; returns how many
   * were announced. An identity whose put failed stays due and is tried on the next sweep.
   */
  async sweep(): Promise<number> {
    let announced = 0
    for (;;) {
      if (this.#stopped) return announced
      const due = await this.#deps.repo.dueForAnnounce(Date.now() - this.#republish, ANNOUNCE_BATCH)
      if (due.length === 0) return announced
      let progressed = false
      for (const row of due) {
        const identity = await this.#deps.keyring.byPeerId(row.peerId)
        if (identity && (await this.announce(identity))) {
          announced++
          progressed = true
        }
      }
      if (!progressed) return announced
    }
  }

  /**
   * Puts `identity`'s record (naming this node) in the DHT and marks it announced. Returns
   * false when no DHT peer took it (a node alone on the network): the next sweep tries again.
   */
  async announce(identity: NodeIdentity): Promise<boolean> {
    const now = Date.now()
    const record = signHostedBy(identity, [this.#deps.node.peerId], now, now + this.#ttl)
    let stored = 0
    try {
      for await (const event of this.#deps.host.services.dht.put(recordKey(identity.peerId), record, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      }))
        if (event.name === 'PEER_RESPONSE') stored++
    } catch (err) {
      this.#deps.log.debug({ err, identity: identity.peerId }, 'hosted-by record put failed')
    }
    if (stored === 0) return false
    this.#cache.set(identity.peerId, {
      resolution: { kind: 'hosted', record: readHostedBy(recordKey(identity.peerId), record, now) },
      until: now + FOUND_TTL_MS,
    })
    await this.#deps.repo.markAnnounced(identity.peerId, now)
    this.#deps.log.debug({ identity: identity.peerId, peers: stored }, 'bridge identity announced')
    return true
  }

  /**
   * Whether `peerId` is a bridge identity hosted somewhere (and where), or a node. A lookup
   * that fails or times out counts as "a node" for a minute: the message then goes to the
   * peer id itself, and is held for it if it cannot be reached.
   */
  resolve(peerId: string): Promise<Resolution> {
    const cached = this.#cache.get(peerId)
    if (cached && cached.until > Date.now()) return Promise.resolve(cached.resolution)
    // A connected peer runs a host of its own: identities never do.
    if (this.#deps.host.getConnections().some((c) => c.remotePeer.toString() === peerId))
      return Promise.resolve({ kind: 'node' })
    let pending = this.#lookups.get(peerId)
    if (!pending) {
      pending = this.#lookup(peerId).finally(() => this.#lookups.delete(peerId))
      this.#lookups.set(peerId, pending)
    }
    return pending
  }

  async #lookup(peerId: string): Promise<Resolution> {
    const key = recordKey(peerId)
    let best: HostedBy | undefined
    try {
      for await (const event of this.#deps.host.services.dht.get(key, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      })) {
        if (event.name !== 'VALUE') continue
        try {
          const record = readHostedBy(key, event.value)
          if (!best || record.issuedAt > best.issuedAt) best = record
        } catch (err) {
          this.#deps.log.debug({ err, identity: peerId }, 'hosted-by record refused')
        }
        // One valid record is enough: hosts change rarely, and the cache expires.
        if (best) break
      }
    } catch (err) {
      this.#deps.log.debug({ err, identity: peerId }, 'hosted-by lookup failed')
    }
    const resolution: Resolution = best ? { kind: 'hosted', record: best } : { kind: 'node' }
    this.#cache.set(peerId, {
      resolution,
      until: Date.now() + (best ? Math.min(FOUND_TTL_MS, best.expiresAt - Date.now()) : MISSING_TTL_MS),
    })
    return resolution
  }
}
