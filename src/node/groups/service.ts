import { randomBytes } from 'node:crypto'
import type { Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { BridgeError } from '../../core/errors.ts'
import type { NodeIdentity } from '../../crypto/identity.ts'
import type { Logger } from '../../log/logger.ts'
import type { DedupeRepo, GroupRepo } from '../../store/port.ts'
import type { Host } from '../host.ts'
import { PeerKeeper } from '../keeper.ts'
import type { NodeMetrics } from '../metrics.ts'
import { StateSealer } from './at-rest.ts'
import { type ControlPayload, decodeControl, encodeControl } from './control-frames.ts'
import { GroupInbound } from './inbound.ts'
import { KeyPackageProtocol } from './keypackage-protocol.ts'
import { type LiveGroup, LiveGroups } from './live-groups.ts'
import {
  addMembers,
  createGroup,
  encryptMessage,
  keyPackageMember,
  removeMembers,
  updateKeys,
} from './mls.ts'
import { Outbox, type OutboxOptions, type Queued, type SendFn } from './outbox.ts'
import { badGroupId, GROUP_ID_HEX, memberKey, notOrderer, unknownGroup } from './service-errors.ts'

/** Version byte in front of the MLS ciphertext of a topic message (docs/wire-groups.md). */
export const TOPIC_MESSAGE_V1 = 0x01
/** How long `publish` waits, without a signal of the caller, for a member to take a message. */
const PUBLISH_WAIT_MS = 30_000

export interface GroupServiceDeps {
  readonly host: Host
  readonly identity: NodeIdentity
  readonly groups: GroupRepo
  readonly dedupe: DedupeRepo
  /** The node's `send` (deliver or throw; retryable when the peer is offline). */
  readonly send: SendFn
  readonly log: Logger
  readonly metrics?: Pick<NodeMetrics, 'dropped'>
  /** How long a key package request may take (default 10 s). */
  readonly timeoutMs?: number
  readonly outbox?: OutboxOptions
}

/** A group as the service and the API show it. */
export interface GroupInfo {
  /** 64 lower-case hex characters. */
  readonly groupId: string
  readonly topic: string
  readonly epoch: number
  readonly role: 'orderer' | 'member'
  /** Members' peer ids, in leaf order; the first is the orderer. */
  readonly members: string[]
}

/** A group message, decrypted and authenticated. */
export interface GroupMessage {
  readonly groupId: string
  /** The sender's peer id, from the MLS sender key (its signature in the group). */
  readonly from: string
  readonly plaintext: Uint8Array
}

export type GroupMessageHandler = (message: GroupMessage) => Promise<void>

/**
 * MLS groups on the Mainframe node (docs/wire-groups.md): one gossipsub topic per group,
 * one MLS encryption per message, commits ordered by the group's creator and sent to every
 * member (and a removed one) as direct control payloads in epoch order, queued per peer
 * while the peer is offline. Mount: `node.onGroupControl((m) => service.handleControl(m))`,
 * then `start()`.
 *
 * Calls on one group run one at a time (MLS states are single-use); different groups run
 * concurrently. Errors are BridgeErrors: GROUP_UNKNOWN (404), GROUP_NOT_ORDERER (409),
 * GROUP_BAD_PEER / GROUP_BAD_ID (400), GROUP_PEER_UNREACHABLE (503, retryable), the MLS
 * layer's GroupErrors, store errors.
 */
export class GroupService {
  readonly #deps: GroupServiceDeps
  readonly #live: LiveGroups
  readonly #keyPackages: KeyPackageProtocol
  readonly #outbox: Outbox
  readonly #inbound: GroupInbound
  readonly #onPubsub = (event: CustomEvent<Message>) => void this.#fromTopic(event.detail)
  readonly #onConnect = (event: CustomEvent<PeerId>) => this.#outbox.poke(event.detail.toString())
  /** Keeps this node connected to the members of its groups (redialled by peer id). */
  readonly #keeper: PeerKeeper

  constructor(deps: GroupServiceDeps) {
    this.#deps = deps
    const sealer = new StateSealer(deps.identity)
    const dropped = (reason: string) => deps.metrics?.dropped('mainframe-group', reason)
    this.#live = new LiveGroups(deps.groups, sealer, deps.identity, deps.log)
    this.#keyPackages = new KeyPackageProtocol({
      host: deps.host,
      identity: deps.identity,
      groups: deps.groups,
      sealer,
      log: deps.log,
      dropped,
      timeoutMs: deps.timeoutMs ?? 10_000,
    })
    this.#outbox = new Outbox(deps.send, deps.log, deps.outbox)
    this.#keeper = new PeerKeeper(deps.host, deps.log, { dialTimeoutMs: deps.timeoutMs ?? 10_000 })
    this.#inbound = new GroupInbound({
      live: this.#live,
      keyPackages: this.#keyPackages,
      dedupe: deps.dedupe,
      log: deps.log,
      dropped,
      subscribe: (topic) => deps.host.services.pubsub.subscribe(topic),
      unsubscribe: (topic) => deps.host.services.pubsub.unsubscribe(topic),
    })
  }

  /** Loads stored groups, subscribes their topics, answers /mainframe/keypackage/1.0.0. */
  async start(): Promise<void> {
    const pubsub = this.#deps.host.services.pubsub
    for (const live of await this.#live.load()) pubsub.subscribe(live.topic)
    pubsub.addEventListener('message', this.#onPubsub)
    this.#deps.host.addEventListener('peer:connect', this.#onConnect)
    await this.#keyPackages.start()
    this.#keepMembers()
    this.#keeper.start()
  }

  async stop(): Promise<void> {
    const pubsub = this.#deps.host.services.pubsub
    pubsub.removeEventListener('message', this.#onPubsub)
    this.#deps.host.removeEventListener('peer:connect', this.#onConnect)
    this.#keeper.stop()
    this.#outbox.stop()
    await this.#keyPackages.stop().catch(() => {})
    await Promise.all(this.#live.all().map((live) => live.chain))
  }

  /** Where decrypted group messages go (each once). Without one they are dropped. */
  onMessage(handler: GroupMessageHandler | undefined): void {
    this.#inbound.onMessage = handler
  }

  /** Told when this node learns it was removed from a group (the group is forgotten). */
  onRemoved(handler: ((groupId: string) => void) | undefined): void {
    this.#inbound.onRemoved = handler
  }

  /**
   * A new group ordered by this node, with this node its only member (epoch 0).
   * @throws store errors.
   */
  async create(): Promise<{ groupId: string; topic: string }> {
    const live = await this.#live.create(await createGroup(randomBytes(32), this.#deps.identity), 'orderer')
    this.#deps.host.services.pubsub.subscribe(live.topic)
    return { groupId: live.id, topic: live.topic }
  }

  /**
   * Adds `peerId`: asks it for a key package (it must be online), commits, sends the commit
   * to the other members and the welcome to it (queued while any is offline).
   * @returns the group's new epoch.
   * @throws GROUP_UNKNOWN, GROUP_NOT_ORDERER, GROUP_BAD_PEER, GROUP_PEER_UNREACHABLE
   *   (retryable), GROUP_KEY_PACKAGE_INVALID (not its own key), GROUP_ALREADY_MEMBER.
   */
  async addMember(groupId: string, peerId: string): Promise<{ epoch: number }> {
    const live = this.#ordered(groupId)
    const key = memberKey(peerId)
    if (peerId === this.#deps.identity.peerId)
      throw new BridgeError('GROUP_ALREADY_MEMBER', 'this node is in its own group already', { status: 409 })
    const keyPackage = await this.#keyPackages.request(peerId)
    if (!Buffer.from(await keyPackageMember(keyPackage)).equals(key))
      throw new BridgeError('GROUP_KEY_PACKAGE_INVALID', `${peerId} answered a key package of another key`, {
        hint: 'a member joins with its own node key only',
        status: 502,
      })
    return this.#commit(live, async (state) => {
      const added = await addMembers(state, [keyPackage])
      return {
        ...added,
        after: () =>
          this.#queue(peerId, {
            type: 'welcome',
            groupId: live.idBytes,
            epoch: live.epoch,
            topic: live.topic,
            welcome: added.welcome,
          }),
      }
    })
  }

  /**
   * Removes `peerId`. The commit goes to every member, the removed one included (so it
   * learns it was removed); from the next epoch on it cannot read the group.
   * @throws GROUP_UNKNOWN, GROUP_NOT_ORDERER, GROUP_BAD_PEER, GROUP_NOT_MEMBER (404),
   *   GROUP_BAD_INPUT (removing this node).
   */
  async removeMember(groupId: string, peerId: string): Promise<{ epoch: number }> {
    const live = this.#ordered(groupId)
    const key = memberKey(peerId)
    return this.#commit(live, (state) => removeMembers(state, [key]))
  }

  /**
   * Commits fresh keys for the orderer's leaf (a new epoch; past leaks stop mattering).
   * @throws GROUP_UNKNOWN, GROUP_NOT_ORDERER.
   */
  async updateKeys(groupId: string): Promise<{ epoch: number }> {
    const live = this.#ordered(groupId)
    return this.#commit(live, (state) => updateKeys(state))
  }

  /**
   * One commit of the orderer, in the group's turn: made, saved, then sent to every member of
   * the epoch before it (so a removed member learns it); `after` runs once it is saved.
   */
  #commit(
    live: LiveGroup,
    make: (
      state: LiveGroup['state'],
    ) => Promise<{ state: LiveGroup['state']; commit: Uint8Array; after?: () => void }>,
  ): Promise<{ epoch: number }> {
    return this.#live.serial(live, async () => {
      const before = { epoch: live.epoch, peers: this.#others(live) }
      const made = await make(live.state)
      await this.#live.save(live, made.state)
      this.#fanOut(before.peers, {
        type: 'commit',
        groupId: live.idBytes,
        epoch: before.epoch,
        commit: made.commit,
      })
      made.after?.()
      this.#keepMembers()
      return { epoch: Number(live.epoch) }
    })
  }

  /**
   * Encrypts `plaintext` once for the group and publishes it on the group's topic. Members
   * gossipsub did not hand it to (offline, connected but not seen subscribed yet, below the
   * publish score) get the same ciphertext as a direct control payload, queued in the outbox
   * and retried while they are unreachable; receivers dedupe.
   *
   * Resolves once at least one member has it: handed to it on the topic, or taken directly
   * (receipted, or held for it by its holders). When no member got it, waits for the first
   * direct copy to go through until `signal` aborts (default: 30 s), then withdraws the copies
   * not sent yet and throws GROUP_NOT_DELIVERED (retryable): the caller's retry (the relay's
   * persistent queue) is what survives a restart of this node, not the in-memory outbox.
   * Members that miss a message another member got still get it from the outbox, unless this
   * node restarts first (docs/wire-groups.md, "Not done yet").
   * @returns the epoch it was sent in, how many members it was handed on the topic and how
   *   many were sent it directly.
   * @throws GROUP_UNKNOWN, GROUP_BAD_ID, GROUP_NOT_DELIVERED (retryable), store errors; a
   *   member's refusal (not retryable) when every member refused it.
   */
  async publish(
    groupId: string,
    plaintext: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ epoch: number; topic: number; direct: number }> {
    const live = this.#get(groupId)
    const sent = await this.#live.serial(live, async () => {
      const encrypted = await encryptMessage(live.state, plaintext)
      // Saved before it leaves: a restart must never reuse this message's key.
      await this.#live.save(live, encrypted.state)
      const data = new Uint8Array(1 + encrypted.ciphertext.length)
      data[0] = TOPIC_MESSAGE_V1
      data.set(encrypted.ciphertext, 1)
      const others = this.#others(live)
      let recipients = new Set<string>()
      try {
        const published = await this.#deps.host.services.pubsub.publish(live.topic, data)
        recipients = new Set(published.recipients.map(String))
      } catch (err) {
        this.#deps.log.info({ group: live.id.slice(0, 16), err }, 'group publish reached no topic peer')
      }
      // Who gossipsub actually wrote it to, not who it knows subscribed: a subscriber with no
      // outbound stream yet, or under the publish score threshold, is not in `recipients`.
      const onTopic = others.filter((peer) => recipients.has(peer))
      const missing = others.filter((peer) => !recipients.has(peer))
      const payload: ControlPayload = {
        type: 'message',
        groupId: live.idBytes,
        epoch: live.epoch,
        ciphertext: encrypted.ciphertext,
      }
      const copies = missing.map((peer) => this.#queue(peer, payload))
      return { epoch: Number(live.epoch), members: others.length, onTopic: onTopic.length, copies }
    })
    const result = { epoch: sent.epoch, topic: sent.onTopic, direct: sent.copies.length }
    if (sent.members === 0 || sent.onTopic > 0) return result
    await this.#firstTaken(live, sent.copies, options.signal)
    return result
  }

  /**
   * Waits until one of `copies` is taken by its member. On timeout or abort, withdraws those
   * not sent yet and throws GROUP_NOT_DELIVERED (retryable); when every member refused its
   * copy for good, throws the first refusal.
   */
  async #firstTaken(live: LiveGroup, copies: readonly Queued[], signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(PUBLISH_WAIT_MS)
    const bound = signal ? AbortSignal.any([signal, timeout]) : timeout
    let onAbort: (() => void) | undefined
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted')
      if (bound.aborted) resolve('aborted')
      else bound.addEventListener('abort', onAbort, { once: true })
    })
    try {
      const outcome = await Promise.race([
        Promise.any(copies.map((copy) => copy.delivered)).then(
          () => 'taken' as const,
          (err: AggregateError) => err,
        ),
        aborted,
      ])
      if (outcome === 'taken') return
      if (outcome instanceof AggregateError) {
        const refusal = outcome.errors.find((e) => e instanceof BridgeError && !e.retryable)
        if (refusal) throw refusal
      }
      for (const copy of copies) copy.withdraw()
      throw new BridgeError(
        'GROUP_NOT_DELIVERED',
        `no member of group ${live.id.slice(0, 16)}… took the message (${copies.length} unreachable)`,
        {
          hint: 'no member is connected or reachable; the delivery is retried',
          retryable: true,
          status: 503,
        },
      )
    } finally {
      if (onAbort) bound.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Takes a group control payload from the node (register with `node.onGroupControl`).
   * Resolves once it is applied and stored, so the sender's receipt means "kept".
   * @throws GROUP_CONTROL_INVALID and the MLS layer's errors (not retryable: the sender
   *   drops the payload); store errors (retryable ones make the sender retry).
   */
  async handleControl(message: { from: string; payload: Uint8Array }): Promise<void> {
    try {
      await this.#inbound.control(message.from, decodeControl(message.payload))
    } finally {
      // A welcome, a commit or a removal may have changed whom this node keeps connected to.
      this.#keepMembers()
    }
  }

  /** The groups of this node. */
  list(): GroupInfo[] {
    return this.#live.all().map((live) => this.#info(live))
  }

  /** @throws GROUP_UNKNOWN, GROUP_BAD_ID. */
  get(groupId: string): GroupInfo {
    return this.#info(this.#get(groupId))
  }

  /** Control payloads waiting for offline peers (for tests and metrics). */
  pendingDeliveries(peerId?: string): number {
    return this.#outbox.pending(peerId)
  }

  #info(live: LiveGroup): GroupInfo {
    return {
      groupId: live.id,
      topic: live.topic,
      epoch: Number(live.epoch),
      role: live.role,
      members: this.#live.peers(live),
    }
  }

  #get(groupId: string): LiveGroup {
    if (typeof groupId !== 'string' || !GROUP_ID_HEX.test(groupId)) throw badGroupId(String(groupId))
    const live = this.#live.get(groupId)
    if (!live) throw unknownGroup(groupId)
    return live
  }

  #ordered(groupId: string): LiveGroup {
    const live = this.#get(groupId)
    if (live.role !== 'orderer') throw notOrderer(groupId)
    return live
  }

  /** Members other than this node, by peer id. */
  #others(live: LiveGroup): string[] {
    return this.#live.peers(live).filter((peer) => peer !== this.#deps.identity.peerId)
  }

  #fanOut(peers: readonly string[], payload: ControlPayload): void {
    for (const peer of peers) this.#queue(peer, payload)
  }

  #queue(peer: string, payload: ControlPayload): Queued {
    return this.#outbox.enqueue(peer, encodeControl(payload), `${payload.type}@${payload.epoch}`)
  }

  /** The members of every group of this node, kept connected (a restarted node finds them again). */
  #keepMembers(): void {
    const peers = new Set<string>()
    for (const live of this.#live.all()) for (const peer of this.#others(live)) peers.add(peer)
    this.#keeper.keepPeers(peers)
  }

  async #fromTopic(message: Message): Promise<void> {
    const live = this.#live.byTopic(message.topic)
    if (!live) return
    const data = message.data
    if (data.length < 2 || data[0] !== TOPIC_MESSAGE_V1) {
      this.#deps.metrics?.dropped('mainframe-group', 'GROUP_TOPIC_FORMAT')
      this.#deps.log.info(
        { group: live.id.slice(0, 16) },
        'group topic message of an unknown format: dropped',
      )
      return
    }
    await this.#inbound.ciphertext(live, data.subarray(1)).catch(() => {})
  }
}
