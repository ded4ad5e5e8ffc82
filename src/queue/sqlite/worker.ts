import { randomBytes } from 'node:crypto'
import { BridgeError } from '../../core/errors.ts'
import { backoffDelay } from '../backoff.ts'
import { stalledTooOften } from '../errors.ts'
import { notifyAttemptFailed, summarizeError, willRetry } from '../failure.ts'
import type { Handler, Job, QueueOptions, Worker } from '../port.ts'
import type { QueueDatabase } from './database.ts'
import {
  applyOutcome,
  type ClaimedJob,
  claimJobs,
  type Outcome,
  purgeCompleted,
  reapExpired,
  renewLeases,
} from './jobs.ts'

/** Timings of the embedded queue, shared by every worker of one driver. */
export interface SqliteWorkerSettings {
  /** Lease length; a dead worker's job is runnable again this long after its last renewal. */
  readonly lockMs: number
  /** Longest idle poll interval (the interval starts at 2 ms and doubles while idle). */
  readonly pollMs: number
  /** How long completed ids are kept for idempotent add. */
  readonly retentionMs: number
  /** Redeliveries after a dead worker before the job goes to dead letters. */
  readonly maxStalls: number
  /** Background failures (a poll that threw, a hook that threw). */
  readonly onError: (err: unknown) => void
}

const MIN_POLL_MS = 2
const PURGE_EVERY_MS = 60_000
const PURGE_BATCH = 5_000
const DEFAULT_CLOSE_MS = 30_000

/**
 * One `process` call on the embedded queue: a loop that, in one transaction per turn, records
 * the attempts that ended, reaps expired leases, and claims up to `concurrency - active` jobs.
 * It turns again at once when a handler ends or `wake()` is called (a local add), else polls
 * with an interval growing from 2 ms to `pollMs`. Leases are renewed every lockMs/3.
 */
export class SqliteWorker<T> implements Worker {
  readonly #db: QueueDatabase
  readonly #queue: string
  readonly #handler: Handler<T>
  readonly #options: QueueOptions<T>
  readonly #settings: SqliteWorkerSettings
  readonly #token = `${process.pid}-${randomBytes(6).toString('hex')}`
  readonly #outcomes: Outcome[] = []
  readonly #renewal: NodeJS.Timeout
  #active = 0
  #poll = 0
  #timer: NodeJS.Timeout | undefined
  #immediate: NodeJS.Immediate | undefined
  #nextReap = 0
  #nextPurge = 0
  #closing = false
  #done = false
  #closed: Promise<void> | undefined
  #drained: (() => void) | undefined

  constructor(
    db: QueueDatabase,
    queue: string,
    handler: Handler<T>,
    options: QueueOptions<T>,
    settings: SqliteWorkerSettings,
  ) {
    this.#db = db
    this.#queue = queue
    this.#handler = handler
    this.#options = options
    this.#settings = settings
    this.#renewal = setInterval(() => this.#renew(), Math.max(10, Math.floor(settings.lockMs / 3)))
    this.#renewal.unref()
    this.wake()
  }

  /** Turns the loop now (jobs were added or revived in this process). */
  wake(): void {
    if (this.#closing || this.#immediate !== undefined) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined
      this.#turn()
    })
  }

  close(timeoutMs = DEFAULT_CLOSE_MS): Promise<void> {
    this.#closed ??= this.#close(timeoutMs)
    return this.#closed
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#closing = true
    this.#cancelTimers()
    if (this.#active > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#drained = resolve
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(timer)
    }
    clearInterval(this.#renewal)
    this.#done = true
    this.#flush()
  }

  #cancelTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    if (this.#immediate !== undefined) clearImmediate(this.#immediate)
    this.#timer = undefined
    this.#immediate = undefined
  }

  #turn(): void {
    if (this.#closing || !this.#db.isOpen) return
    const now = Date.now()
    const capacity = this.#options.concurrency - this.#active
    const outcomes = this.#outcomes.splice(0)
    let claimed: ClaimedJob[] = []
    try {
      claimed = this.#db.transaction(() => {
        for (const outcome of outcomes) applyOutcome(this.#db, this.#queue, this.#token, outcome, now)
        if (now >= this.#nextReap) {
          reapExpired(
            this.#db,
            this.#queue,
            now,
            this.#settings.maxStalls,
            stalledTooOften(this.#settings.maxStalls),
          )
          this.#nextReap = now + Math.min(1000, Math.ceil(this.#settings.lockMs / 4))
        }
        if (now >= this.#nextPurge) {
          purgeCompleted(this.#db, this.#queue, now - this.#settings.retentionMs, PURGE_BATCH)
          this.#nextPurge = now + Math.min(PURGE_EVERY_MS, this.#settings.retentionMs)
        }
        return capacity > 0
          ? claimJobs(this.#db, this.#queue, this.#token, now, this.#settings.lockMs, capacity)
          : []
      })
    } catch (err) {
      this.#outcomes.unshift(...outcomes)
      this.#settings.onError(err)
      this.#poll = this.#settings.pollMs
      this.#timer = setTimeout(() => this.#turnLater(), this.#poll)
      return
    }
    for (const row of claimed) void this.#run(row)
    if (this.#active >= this.#options.concurrency) return // the next handler to end turns the loop
    if (claimed.length > 0) {
      this.#poll = 0
      this.wake()
      return
    }
    this.#poll = Math.min(this.#settings.pollMs, Math.max(MIN_POLL_MS, this.#poll * 2))
    this.#timer = setTimeout(() => this.#turnLater(), this.#poll)
  }

  #turnLater(): void {
    this.#timer = undefined
    this.#turn()
  }

  async #run(row: ClaimedJob): Promise<void> {
    this.#active += 1
    let outcome: Outcome
    let job: Job<T> | undefined
    try {
      job = {
        id: row.id,
        queue: this.#queue,
        data: JSON.parse(row.data) as T,
        attempt: row.attemptsMade + 1,
        maxAttempts: this.#options.attempts,
        enqueuedAt: row.enqueuedAt,
      }
      await this.#handler(job)
      outcome = { kind: 'completed', id: row.id }
    } catch (caught) {
      const err = job === undefined ? corruptData(row.id, caught) : caught
      const attempt = row.attemptsMade + 1
      const retry = job !== undefined && willRetry(job, err)
      if (job !== undefined)
        await notifyAttemptFailed(this.#options.events, job, err, retry, this.#settings.onError)
      const now = Date.now()
      outcome = {
        kind: retry ? 'retry' : 'dead',
        id: row.id,
        attempt,
        runAt: retry ? now + backoffDelay(this.#options.backoff, attempt) : now,
        ...summarizeError(err),
      }
    }
    this.#active -= 1
    this.#outcomes.push(outcome)
    if (!this.#closing) this.wake()
    else if (this.#done)
      this.#flush() // closed on timeout: record late endings while the file is open
    else if (this.#active === 0) this.#drained?.()
  }

  /** Records pending outcomes without claiming (used while closing). Never throws. */
  #flush(): void {
    if (this.#outcomes.length === 0 || !this.#db.isOpen) return
    const outcomes = this.#outcomes.splice(0)
    const now = Date.now()
    try {
      this.#db.transaction(() => {
        for (const outcome of outcomes) applyOutcome(this.#db, this.#queue, this.#token, outcome, now)
      })
    } catch (err) {
      this.#settings.onError(err)
    }
  }

  #renew(): void {
    if (this.#active === 0 || !this.#db.isOpen) return
    try {
      renewLeases(this.#db, this.#queue, this.#token, Date.now(), this.#settings.lockMs)
    } catch (err) {
      this.#settings.onError(err)
    }
  }
}

function corruptData(id: string, cause: unknown): BridgeError {
  return new BridgeError('QUEUE_INVALID_DATA', `job ${JSON.stringify(id)} holds data that is not JSON`, {
    cause,
  })
}
