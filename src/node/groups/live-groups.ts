import type { NodeIdentity } from '../../crypto/identity.ts'
import type { Logger } from '../../log/logger.ts'
import type { GroupRepo, GroupRole } from '../../store/port.ts'
import { fromHex, groupTopic, peerIdOfMember, type StateSealer } from './at-rest.ts'
import { PENDING_TOPIC } from './keypackage-protocol.ts'
import { deserializeGroup, epoch, type GroupState, groupId, members, serializeGroup } from './mls.ts'

/** Bounds of what a group keeps in memory while it waits for a missing commit. */
export const MAX_AHEAD_COMMITS = 64
export const MAX_EARLY_MESSAGES = 256

/** One group this node is in, as the service holds it. Mutated only inside `serial`. */
export interface LiveGroup {
  /** Lower-case hex of the 32-byte group id: the store's key. */
  readonly id: string
  readonly idBytes: Uint8Array
  readonly topic: string
  readonly role: GroupRole
  /** The current, unspent state handle. */
  state: GroupState
  epoch: bigint
  /** The epoch of the stored row (what the next save expects). */
  storedEpoch: number | null
  /** Commits for later epochs, by the epoch they apply to, waiting for the ones before. */
  readonly ahead: Map<bigint, Uint8Array>
  /** Ciphertexts of a later epoch than ours, retried once commits are applied. */
  early: Uint8Array[]
  /** Tail of the chain of operations on this group (MLS states are single-use). */
  chain: Promise<unknown>
}

/**
 * The groups of this node in memory, loaded from and saved to `store.groups` (states sealed
 * by StateSealer). Every change of a group runs through `serial`, one at a time per group.
 */
export class LiveGroups {
  readonly #groups: GroupRepo
  readonly #sealer: StateSealer
  readonly #identity: NodeIdentity
  readonly #log: Logger
  readonly #byId = new Map<string, LiveGroup>()
  readonly #byTopic = new Map<string, LiveGroup>()

  constructor(groups: GroupRepo, sealer: StateSealer, identity: NodeIdentity, log: Logger) {
    this.#groups = groups
    this.#sealer = sealer
    this.#identity = identity
    this.#log = log
  }

  /** Loads every stored group; a row that does not open or decode is logged and skipped. */
  async load(): Promise<LiveGroup[]> {
    for (const row of await this.#groups.list()) {
      if (row.topic === PENDING_TOPIC) continue
      try {
        const state = deserializeGroup(this.#sealer.open(row.groupId, row.state), this.#identity)
        this.#add(row.groupId, row.topic, row.role, state, row.epoch)
      } catch (err) {
        this.#log.error(
          { group: row.groupId.slice(0, 16), code: (err as { code?: string }).code },
          'stored group unreadable: skipped',
        )
      }
    }
    return [...this.#byId.values()]
  }

  get(id: string): LiveGroup | undefined {
    return this.#byId.get(id)
  }

  byTopic(topic: string): LiveGroup | undefined {
    return this.#byTopic.get(topic)
  }

  all(): LiveGroup[] {
    return [...this.#byId.values()]
  }

  /** Stores a group new to this node (created or joined) and holds it. */
  async create(state: GroupState, role: GroupRole): Promise<LiveGroup> {
    const idBytes = groupId(state)
    const id = Buffer.from(idBytes).toString('hex')
    const live = this.#add(id, groupTopic(idBytes), role, state, null)
    try {
      await this.save(live, state)
    } catch (err) {
      this.#forget(live)
      throw err
    }
    return live
  }

  /**
   * Adopts `next` as the group's state and stores it (sealed). The state is adopted even if
   * the save fails (the previous handle is spent), and the next save retries from the epoch
   * stored last.
   * @throws STORE_CONFLICT when another writer moved the stored row; store errors.
   */
  async save(live: LiveGroup, next: GroupState): Promise<void> {
    live.state = next
    live.epoch = epoch(next)
    const bytes = this.#sealer.seal(live.id, serializeGroup(next))
    const stored = await this.#groups.save({
      groupId: live.id,
      topic: live.topic,
      state: bytes,
      epoch: Number(live.epoch),
      role: live.role,
      expectedEpoch: live.storedEpoch,
    })
    live.storedEpoch = stored.epoch
  }

  /** Forgets a group (this node was removed from it): row deleted. */
  async remove(live: LiveGroup): Promise<void> {
    this.#forget(live)
    await this.#groups.delete(live.id)
  }

  /** Runs `fn` after every operation queued on this group before it. */
  serial<T>(live: LiveGroup, fn: () => Promise<T>): Promise<T> {
    const run = live.chain.then(fn)
    live.chain = run.catch(() => {})
    return run
  }

  /** Peer ids of the members, in leaf order; the first is the orderer (the creator's leaf 0). */
  peers(live: LiveGroup): string[] {
    return members(live.state).map(peerIdOfMember)
  }

  #add(id: string, topic: string, role: GroupRole, state: GroupState, storedEpoch: number | null): LiveGroup {
    const live: LiveGroup = {
      id,
      idBytes: fromHex(id),
      topic,
      role,
      state,
      epoch: epoch(state),
      storedEpoch,
      ahead: new Map(),
      early: [],
      chain: Promise.resolve(),
    }
    this.#byId.set(id, live)
    this.#byTopic.set(topic, live)
    return live
  }

  #forget(live: LiveGroup): void {
    this.#byId.delete(live.id)
    this.#byTopic.delete(live.topic)
  }
}
