import { randomBytes } from 'node:crypto'
import { BridgeError } from '../../core/errors.ts'
import type { Logger } from '../../log/logger.ts'

/** The node's `send`, as the outbox uses it: deliver or throw (retryable when worth retrying). */
export type SendFn = (peerId: string, payload: Uint8Array, options: { mid: Uint8Array }) => Promise<unknown>

interface Item {
  readonly payload: Uint8Array
  /** Fixed per item, so a retry whose receipt was lost is deduped by the recipient. */
  readonly mid: Uint8Array
  readonly what: string
  readonly settle: { resolve(): void; reject(err: unknown): void }
}

/** One queued payload, as `enqueue` hands it back. */
export interface Queued {
  /** Resolves once the peer took it (`send` resolved); rejects when it is dropped. */
  readonly delivered: Promise<void>
  /** Takes it out of the queue unless it is being sent now; true when it was. */
  withdraw(): boolean
}

interface Queue {
  readonly items: Item[]
  running: boolean
  /** The item being sent now (it cannot be withdrawn). */
  sending: Item | undefined
  delayMs: number
  timer: NodeJS.Timeout | undefined
}

export interface OutboxOptions {
  /** First retry delay after a failed send; doubles up to maxDelayMs. */
  readonly minDelayMs?: number
  readonly maxDelayMs?: number
  /** Payloads kept per peer; past it the oldest is dropped (with a log line). */
  readonly maxPerPeer?: number
}

/**
 * Per-peer FIFO queues of control payloads (welcomes, commits, missed messages), each sent
 * with the node's `send` in the order it was queued. A payload that fails retryably (the peer
 * is offline: NODE_PEER_UNREACHABLE) stays at the head of its queue and is retried with
 * backoff, and at once when the peer connects (`poke`), so a member that was away gets its
 * commits in epoch order. A payload refused for good (a non-retryable error) is dropped.
 *
 * Kept in memory: a restart of this node forgets what it had not delivered yet
 * (docs/wire-groups.md, "Offline members"). Once `send` holds messages for offline peers,
 * sends succeed at once and the queues stay empty.
 */
export class Outbox {
  readonly #send: SendFn
  readonly #log: Logger
  readonly #minDelayMs: number
  readonly #maxDelayMs: number
  readonly #maxPerPeer: number
  readonly #queues = new Map<string, Queue>()
  #stopped = false

  constructor(send: SendFn, log: Logger, options: OutboxOptions = {}) {
    this.#send = send
    this.#log = log
    this.#minDelayMs = options.minDelayMs ?? 1_000
    this.#maxDelayMs = options.maxDelayMs ?? 30_000
    this.#maxPerPeer = options.maxPerPeer ?? 10_000
  }

  /**
   * Queues `payload` for `peerId` behind what is queued already; returns at once. The caller
   * may wait for `delivered` (it never rejects unhandled: a caller that does not wait need
   * not catch it).
   */
  enqueue(peerId: string, payload: Uint8Array, what: string): Queued {
    let settle: Item['settle'] = { resolve: () => {}, reject: () => {} }
    const delivered = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject }
    })
    delivered.catch(() => {})
    if (this.#stopped) {
      settle.reject(outboxStopped())
      return { delivered, withdraw: () => false }
    }
    let queue = this.#queues.get(peerId)
    if (!queue) {
      queue = { items: [], running: false, sending: undefined, delayMs: this.#minDelayMs, timer: undefined }
      this.#queues.set(peerId, queue)
    }
    if (queue.items.length >= this.#maxPerPeer) {
      const dropped = queue.items.shift()
      this.#log.warn({ peer: peerId, what: dropped?.what }, 'group outbox full: oldest payload dropped')
      dropped?.settle.reject(
        new BridgeError('GROUP_OUTBOX_FULL', `the outbox for ${peerId} is full`, {
          retryable: true,
          status: 503,
        }),
      )
    }
    const item: Item = { payload, mid: randomBytes(32), what, settle }
    queue.items.push(item)
    const owner = queue
    this.#drain(peerId, queue)
    return {
      delivered,
      withdraw: () => {
        if (owner.sending === item) return false
        const at = owner.items.indexOf(item)
        if (at < 0) return false
        owner.items.splice(at, 1)
        item.settle.reject(new BridgeError('GROUP_PAYLOAD_WITHDRAWN', 'withdrawn before it was sent'))
        return true
      },
    }
  }

  /** The peer is reachable again (it connected): retry its queue now. */
  poke(peerId: string): void {
    const queue = this.#queues.get(peerId)
    if (!queue || queue.running) return
    clearTimeout(queue.timer)
    queue.timer = undefined
    queue.delayMs = this.#minDelayMs
    this.#drain(peerId, queue)
  }

  /** Payloads not delivered yet, for one peer or all. */
  pending(peerId?: string): number {
    if (peerId !== undefined) return this.#queues.get(peerId)?.items.length ?? 0
    let total = 0
    for (const queue of this.#queues.values()) total += queue.items.length
    return total
  }

  stop(): void {
    this.#stopped = true
    for (const queue of this.#queues.values()) {
      clearTimeout(queue.timer)
      for (const item of queue.items) item.settle.reject(outboxStopped())
    }
    this.#queues.clear()
  }

  #drain(peerId: string, queue: Queue): void {
    if (queue.running || queue.timer !== undefined) return
    queue.running = true
    void this.#run(peerId, queue).finally(() => {
      queue.running = false
      if (queue.items.length === 0 && queue.timer === undefined && this.#queues.get(peerId) === queue)
        this.#queues.delete(peerId)
    })
  }

  async #run(peerId: string, queue: Queue): Promise<void> {
    while (!this.#stopped && queue.items.length > 0) {
      const item = queue.items[0] as Item
      queue.sending = item
      try {
        await this.#send(peerId, item.payload, { mid: item.mid })
        queue.items.shift()
        queue.delayMs = this.#minDelayMs
        item.settle.resolve()
      } catch (err) {
        if (err instanceof BridgeError && !err.retryable) {
          queue.items.shift()
          this.#log.warn({ peer: peerId, what: item.what, code: err.code }, 'group payload refused: dropped')
          item.settle.reject(err)
          continue
        }
        const code = err instanceof BridgeError ? err.code : undefined
        this.#log.info(
          { peer: peerId, what: item.what, code, retryInMs: queue.delayMs },
          'group payload not delivered: kept for a retry',
        )
        if (this.#stopped) return
        queue.timer = setTimeout(() => {
          queue.timer = undefined
          this.#drain(peerId, queue)
        }, queue.delayMs)
        queue.timer.unref()
        queue.delayMs = Math.min(queue.delayMs * 2, this.#maxDelayMs)
        return
      } finally {
        queue.sending = undefined
      }
    }
  }
}

function outboxStopped(): BridgeError {
  return new BridgeError('GROUP_OUTBOX_STOPPED', 'the group service is stopping', {
    retryable: true,
    status: 503,
  })
}
