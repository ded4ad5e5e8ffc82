import { BridgeError } from '../../src/core/errors.ts'
import type { MessageId } from '../../src/core/ids.ts'
import { Lru } from '../../src/crypto/lru.ts'
import type { Logger } from '../../src/log/logger.ts'
import type { NativeIdRepo } from '../../src/store/port.ts'
import { relatedEventIds } from './translate/inbound.ts'

/** Event ↔ message pairs kept in memory in front of the store (pairs never change once stored). */
const RECENT_PAIRS = 10_000
/** Ids per batch lookup, within the store's MAX_NATIVE_BATCH. */
const LOOKUP_BATCH = 1_000

/**
 * Which Matrix event is which bridged message, per room: the store's `natives` (network
 * `matrix`, scope the room id) behind a small cache. It is what lets replies, edits, reactions
 * and redactions find their targets in both directions, across restarts and processes.
 */
export class EventMap {
  readonly #natives: NativeIdRepo
  readonly #log: Logger
  readonly #messageOf = new Lru<string, MessageId>(RECENT_PAIRS)
  readonly #eventOf = new Lru<string, string>(RECENT_PAIRS)

  constructor(natives: NativeIdRepo, log: Logger) {
    this.#natives = natives
    this.#log = log
  }

  /** The message an event of the room is, if it crossed and is still in memory. */
  cached(roomId: string, eventId: string): MessageId | undefined {
    return this.#messageOf.get(`${roomId}|${eventId}`)
  }

  /**
   * The bridged message ids of the events the transaction's events refer to, per room: from
   * memory, the rest in one store query per room (before translating, which is synchronous).
   */
  async related(
    events: readonly unknown[],
    isOurs: (sender: unknown) => boolean,
  ): Promise<Map<string, Map<string, MessageId>>> {
    const wanted = new Map<string, Set<string>>()
    for (const raw of events) {
      const event = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
      if (typeof event.room_id !== 'string' || isOurs(event.sender)) continue
      for (const eventId of relatedEventIds(raw)) {
        const key = `${event.room_id}|${eventId}`
        if (this.#messageOf.get(key) !== undefined) continue
        const ids = wanted.get(event.room_id) ?? new Set()
        wanted.set(event.room_id, ids.add(eventId))
      }
    }
    const known = new Map<string, Map<string, MessageId>>()
    for (const [roomId, ids] of wanted) {
      const found = new Map<string, MessageId>()
      const all = [...ids]
      try {
        for (let i = 0; i < all.length; i += LOOKUP_BATCH) {
          const batch = all.slice(i, i + LOOKUP_BATCH)
          for (const [eventId, id] of await this.#natives.messagesOf('matrix', roomId, batch)) {
            found.set(eventId, id as MessageId)
            this.#cache(roomId, eventId, id as MessageId)
          }
        }
      } catch (err) {
        // Down: the transaction is resent. An id the store cannot hold never crossed anyway.
        if (err instanceof BridgeError && err.retryable) throw err
        this.#log.warn({ err, room: roomId }, 'could not look up the events a transaction refers to')
      }
      known.set(roomId, found)
    }
    return known
  }

  /** The event a bridged message has in the room (sent there, or come from there), if any. */
  async eventOf(roomId: string, id: string): Promise<string | undefined> {
    const cached = this.#eventOf.get(`${roomId}|${id}`)
    if (cached !== undefined) return cached
    const eventId = await this.#natives.nativeOf('matrix', roomId, id)
    if (eventId !== undefined) this.#cache(roomId, eventId, id as MessageId)
    return eventId
  }

  /**
   * Stores that `eventId` is message `id` in the room. The first pair stored wins (a message
   * keeps the first event it was sent as). A store failure that a retry may cure is thrown, so
   * that the transaction or the delivery is retried (both are idempotent); another is logged.
   */
  async remember(roomId: string, eventId: string, id: MessageId): Promise<void> {
    try {
      const pair = await this.#natives.put('matrix', roomId, eventId, id)
      this.#cache(roomId, pair.nativeId, pair.messageId as MessageId)
      if (pair.nativeId !== eventId || pair.messageId !== id)
        this.#log.debug(
          { room: roomId, eventId, id, stored: pair },
          'matrix event or message already paired; the first pair is kept',
        )
    } catch (err) {
      if (err instanceof BridgeError && err.retryable) throw err
      this.#log.warn({ err, room: roomId, eventId, id }, 'could not remember a bridged event')
    }
  }

  #cache(roomId: string, eventId: string, id: MessageId): void {
    this.#messageOf.set(`${roomId}|${eventId}`, id)
    this.#eventOf.set(`${roomId}|${id}`, eventId)
  }
}
