import { createHash } from 'node:crypto'
import { BridgeError } from '../../core/errors.ts'
import type { Logger } from '../../log/logger.ts'
import type { DedupeRepo } from '../../store/port.ts'
import { groupTopic, peerIdOfMember, toHex } from './at-rest.ts'
import type { ControlPayload } from './control-frames.ts'
import type { KeyPackageProtocol } from './keypackage-protocol.ts'
import { type LiveGroup, type LiveGroups, MAX_AHEAD_COMMITS, MAX_EARLY_MESSAGES } from './live-groups.ts'
import {
  type Decrypted,
  decryptMessage,
  epoch,
  GroupEpochMismatchError,
  groupId,
  joinFromWelcome,
  members,
  processCommit,
} from './mls.ts'
import type { GroupMessage } from './service.ts'
import { notFromOrderer } from './service-errors.ts'

/** Dedupe scope of group ciphertexts, and how long one is remembered. */
const SEEN_SCOPE = 'mf-group-msg'
const SEEN_TTL_MS = 30 * 24 * 3600_000
/** Control payloads for groups not joined yet (a commit or message overtaking its welcome). */
const MAX_ORPHANS = 256

export interface InboundDeps {
  readonly live: LiveGroups
  readonly keyPackages: KeyPackageProtocol
  readonly dedupe: DedupeRepo
  readonly log: Logger
  readonly dropped: (reason: string) => void
  readonly subscribe: (topic: string) => void
  readonly unsubscribe: (topic: string) => void
}

/** The dedupe id of a group ciphertext: whichever way it arrives (topic or direct), it is read once. */
export function ciphertextId(ciphertext: Uint8Array): string {
  return createHash('sha256').update(ciphertext).digest('hex')
}

/**
 * What the group service receives: welcomes, commits (applied in epoch order, later ones
 * kept until the missing ones arrive) and group messages (each decrypted once, whether it came
 * on the topic or directly; a message of an epoch not reached yet waits for its commit).
 */
export class GroupInbound {
  readonly #deps: InboundDeps
  readonly #orphans: { from: string; payload: ControlPayload }[] = []
  /**
   * Per group, the tail of the handler calls: messages are handed on in the order they were
   * decrypted. Each is decrypted in the group's turn, but handed on after it; without the
   * chain a message could be taken by the pipeline before the one decrypted just before it.
   */
  readonly #handing = new WeakMap<LiveGroup, Promise<void>>()
  onMessage: ((message: GroupMessage) => Promise<void>) | undefined
  onRemoved: ((groupId: string) => void) | undefined

  constructor(deps: InboundDeps) {
    this.#deps = deps
  }

  /** One control payload from `from` (authenticated by the direct layer). */
  async control(from: string, payload: ControlPayload): Promise<void> {
    const live = this.#deps.live.get(toHex(payload.groupId))
    if (payload.type === 'welcome') return this.#welcome(from, payload)
    if (!live) {
      // Delivery to one peer is in order, but a held copy may overtake its welcome.
      if (this.#orphans.length >= MAX_ORPHANS) this.#orphans.shift()
      this.#orphans.push({ from, payload })
      return
    }
    if (payload.type === 'commit') return this.#commit(live, from, payload.epoch, payload.commit)
    return this.ciphertext(live, payload.ciphertext, true)
  }

  /**
   * A group ciphertext. Drops (with a log line and the metric) what does not decrypt; with
   * `strict`, store failures are thrown (so a direct sender retries).
   */
  async ciphertext(live: LiveGroup, ciphertext: Uint8Array, strict = false): Promise<void> {
    try {
      // Wrapped: a promise returned from the turn would be awaited inside it.
      const handed = await this.#deps.live.serial(live, async () => {
        const got = await this.#decrypt(live, ciphertext)
        return got ? { done: this.#handOn(live, [got]) } : undefined
      })
      await handed?.done
    } catch (err) {
      if (strict) throw err
      this.#deps.log.warn({ group: live.id.slice(0, 16), err }, 'group message not stored: dropped')
    }
  }

  async #welcome(from: string, w: Extract<ControlPayload, { type: 'welcome' }>): Promise<void> {
    const id = toHex(w.groupId)
    if (this.#deps.live.get(id)) return // a retried welcome: joined already
    for (const pending of await this.#deps.keyPackages.pending()) {
      let state: Awaited<ReturnType<typeof joinFromWelcome>>
      try {
        state = await joinFromWelcome(w.welcome, pending.privatePackage)
      } catch (err) {
        if ((err as BridgeError).code === 'GROUP_WELCOME_NOT_FOR_US') continue
        throw err
      }
      const orderer = peerIdOfMember(members(state)[0] as Uint8Array)
      if (toHex(groupId(state)) !== id || epoch(state) !== w.epoch || groupTopic(w.groupId) !== w.topic)
        throw welcomeMismatch()
      if (orderer !== from) throw notFromOrderer('welcome', from)
      const live = await this.#deps.live.create(state, 'member')
      await this.#deps.keyPackages.consume(pending.rowId)
      this.#deps.subscribe(live.topic)
      this.#deps.log.info({ group: id.slice(0, 16), epoch: String(live.epoch) }, 'joined group')
      for (const orphan of this.#orphans.splice(0).filter((o) => toHex(o.payload.groupId) === id))
        await this.control(orphan.from, orphan.payload).catch((err) =>
          this.#deps.log.warn({ group: id.slice(0, 16), err }, 'early group payload dropped'),
        )
      return
    }
    this.#deps.dropped('GROUP_WELCOME_NOT_FOR_US')
    throw new BridgeError(
      'GROUP_WELCOME_NOT_FOR_US',
      'no pending key package of this node matches the welcome',
      {
        hint: 'the key package it was made for is gone (used, expired, or pushed out): add this node again',
        status: 409,
      },
    )
  }

  async #commit(live: LiveGroup, from: string, at: bigint, commit: Uint8Array): Promise<void> {
    const ready = await this.#deps.live.serial(live, async () => {
      if (this.#deps.live.get(live.id) !== live) return []
      if (this.#deps.live.peers(live)[0] !== from) throw notFromOrderer('commit', from)
      if (at < live.epoch) return [] // applied already (a retry whose receipt was lost)
      if (at > live.epoch) {
        if (live.ahead.size >= MAX_AHEAD_COMMITS && !live.ahead.has(at))
          throw new BridgeError(
            'GROUP_COMMIT_AHEAD',
            `commit for epoch ${at}, this node is at ${live.epoch}`,
            {
              hint: 'too many later commits waiting for a missing one; send again later',
              retryable: true,
              status: 409,
            },
          )
        live.ahead.set(at, commit)
        return []
      }
      for (let next: Uint8Array | undefined = commit; next !== undefined; next = live.ahead.get(live.epoch)) {
        live.ahead.delete(live.epoch)
        const outcome = await processCommit(live.state, next)
        if (outcome.kind === 'removed') {
          await this.#deps.live.remove(live)
          this.#deps.unsubscribe(live.topic)
          this.#deps.log.info({ group: live.id.slice(0, 16) }, 'removed from group')
          this.onRemoved?.(live.id)
          return []
        }
        await this.#deps.live.save(live, outcome.state)
      }
      const early = live.early.splice(0)
      const ready: Decrypted[] = []
      for (const ciphertext of early) {
        const got = await this.#decrypt(live, ciphertext)
        if (got) ready.push(got)
      }
      return ready.length > 0 ? [this.#handOn(live, ready)] : []
    })
    await Promise.all(ready)
  }

  /** Queues `messages` for the handler behind those of `live` decrypted before (call inside serial). */
  #handOn(live: LiveGroup, messages: readonly Decrypted[]): Promise<void> {
    const tail = (this.#handing.get(live) ?? Promise.resolve()).then(() => this.#deliver(live, messages))
    this.#handing.set(live, tail)
    return tail
  }

  /** Decrypts and stores; undefined when seen before, ours, early (kept) or unreadable (dropped). Call inside serial. */
  async #decrypt(live: LiveGroup, ciphertext: Uint8Array): Promise<Decrypted | undefined> {
    if (this.#deps.live.get(live.id) !== live) return undefined
    const id = ciphertextId(ciphertext)
    if (await this.#deps.dedupe.has(SEEN_SCOPE, id)) return undefined
    let got: Decrypted
    try {
      got = await decryptMessage(live.state, ciphertext)
    } catch (err) {
      if (err instanceof GroupEpochMismatchError && err.got > err.expected) {
        if (live.early.length >= MAX_EARLY_MESSAGES) live.early.shift()
        live.early.push(ciphertext)
        return undefined
      }
      const code = err instanceof BridgeError ? err.code : 'GROUP_DECRYPT_FAILED'
      if (code === 'GROUP_OWN_MESSAGE') return undefined
      this.#deps.dropped(code)
      this.#deps.log.info({ group: live.id.slice(0, 16), code }, 'group message does not decrypt: dropped')
      return undefined
    }
    await this.#deps.live.save(live, got.state)
    await this.#deps.dedupe.remember(SEEN_SCOPE, id, SEEN_TTL_MS)
    return got
  }

  async #deliver(live: LiveGroup, messages: readonly Decrypted[]): Promise<void> {
    for (const got of messages) {
      const message = {
        groupId: live.id,
        from: peerIdOfMember(got.senderPublicKey),
        plaintext: got.plaintext,
      }
      if (!this.onMessage) {
        this.#deps.log.warn({ group: live.id.slice(0, 16) }, 'group message with no handler: dropped')
        continue
      }
      await this.onMessage(message).catch((err) =>
        this.#deps.log.error({ group: live.id.slice(0, 16), err }, 'group message handler failed'),
      )
    }
  }
}

function welcomeMismatch(): BridgeError {
  return new BridgeError(
    'GROUP_WELCOME_MISMATCH',
    'welcome names another group, epoch or topic than it joins',
    {
      hint: 'the orderer is broken or lying: dropped',
      status: 400,
    },
  )
}
