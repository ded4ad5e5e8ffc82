import { BridgeError } from '../../core/errors.ts'
import { backgroundFailure, invalidData, invalidOptions, queueClosed, unavailable } from '../errors.ts'
import type { DeadJob, Handler, JobSpec, QueueCounts, QueueDriver, QueueOptions, Worker } from '../port.ts'
import { checkJobId, checkJobs, checkOptions, checkQueueName, pageOptions } from '../validate.ts'
import { AddBatcher } from './add-batcher.ts'
import { openQueueDatabase, type QueueDatabase } from './database.ts'
import { countJobs, listDead, type NewJob, reviveDead } from './jobs.ts'
import { SqliteWorker, type SqliteWorkerSettings } from './worker.ts'

/** Settings of the embedded driver (`queue.sqlite` in the config). */
export interface SqliteQueueOptions {
  /** The database file (created with its directory if missing); several processes may share it. */
  readonly path: string
  /** Lease length in ms (default 5000): a dead worker's job runs again within about this long. */
  readonly lockMs?: number
  /** Longest idle poll interval in ms (default 50). */
  readonly pollMs?: number
  /** How long completed job ids are kept for idempotent add, in ms (default 24 h). */
  readonly retentionMs?: number
  /** Times a job is redelivered after its worker died running it, before it is dead (default 10). */
  readonly maxStalls?: number
  /** How long to wait for another process's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number
  /** Background failures: a poll or lease renewal that failed, an event hook that threw. */
  readonly onError?: (err: BridgeError) => void
}

/** What the driver needs of its workers: a nudge after a local add, and close. */
interface LocalWorker {
  wake(): void
  close(timeoutMs?: number): Promise<void>
}

/**
 * Opens the embedded, durable queue on `node:sqlite` — the default driver: one machine, no
 * service. Jobs are claimed in batches under BEGIN IMMEDIATE and leased; a job whose lease
 * expires (its process died) is runnable again. Blocks on the file system while opening.
 * @throws QUEUE_OPEN_FAILED naming the path; InvalidInputError QUEUE_INVALID_OPTIONS.
 * @example
 *   const queue = await openSqliteQueue({ path: 'data/queue.db' })
 *   queue.process('deliver', async (job) => send(job.data), { attempts: 5, concurrency: 8,
 *     backoff: { baseMs: 1000, maxMs: 60_000 } })
 */
export async function openSqliteQueue(options: SqliteQueueOptions): Promise<QueueDriver> {
  if (typeof options?.path !== 'string' || options.path.length === 0) {
    throw invalidOptions('sqlite.path', 'must be a non-empty string')
  }
  const lockMs = positive('lockMs', options.lockMs, 5000)
  const pollMs = positive('pollMs', options.pollMs, 50)
  const retentionMs = positive('retentionMs', options.retentionMs, 24 * 3600_000)
  const busyTimeoutMs = positive('busyTimeoutMs', options.busyTimeoutMs, 5000)
  const maxStalls = Math.floor(positive('maxStalls', options.maxStalls, 10))
  const report = options.onError ?? (() => {})
  const onError = (err: unknown): void => report(backgroundFailure('sqlite', 'work with its database', err))
  const db = openQueueDatabase(options.path, busyTimeoutMs)
  return new SqliteQueue(db, { lockMs, pollMs, retentionMs, maxStalls, onError })
}

function positive(what: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0)
    throw invalidOptions(what, `must be a number > 0, got ${String(value)}`)
  return value
}

class SqliteQueue implements QueueDriver {
  readonly name = 'sqlite'
  readonly #db: QueueDatabase
  readonly #settings: SqliteWorkerSettings
  readonly #workers = new Map<string, Set<LocalWorker>>()
  readonly #adds: AddBatcher
  #closed = false

  constructor(db: QueueDatabase, settings: SqliteWorkerSettings) {
    this.#db = db
    this.#settings = settings
    this.#adds = new AddBatcher(db, (queues) => {
      for (const queue of queues) this.#wake(queue)
    })
  }

  async add<T>(queue: string, jobs: readonly JobSpec<T>[]): Promise<void> {
    this.#open()
    checkQueueName(queue)
    const delays = checkJobs(jobs)
    const now = Date.now()
    const rows: NewJob[] = jobs.map((job, i) => ({
      id: job.id,
      data: encode(job),
      runAt: now + (delays[i] ?? 0),
    }))
    if (rows.length === 0) return
    try {
      await this.#adds.add(queue, rows)
    } catch (err) {
      throw unavailable('sqlite', 'add jobs', err)
    }
  }

  process<T>(queue: string, handler: Handler<T>, options: QueueOptions<T>): Worker {
    this.#open()
    checkQueueName(queue)
    checkOptions(options as QueueOptions<unknown>)
    if (typeof handler !== 'function') throw invalidOptions('handler', 'must be a function')
    const worker = new SqliteWorker(this.#db, queue, handler, options, this.#settings)
    const set = this.#workers.get(queue) ?? new Set()
    set.add(worker)
    this.#workers.set(queue, set)
    return {
      close: async (timeoutMs?: number) => {
        await worker.close(timeoutMs)
        set.delete(worker)
      },
    }
  }

  async counts(queue: string): Promise<QueueCounts> {
    this.#open()
    checkQueueName(queue)
    return this.#guard('count jobs', () => countJobs(this.#db, queue, Date.now()))
  }

  async dead<T>(queue: string, options: { limit?: number; offset?: number } = {}): Promise<DeadJob<T>[]> {
    this.#open()
    checkQueueName(queue)
    const { limit, offset } = pageOptions(options)
    const rows = this.#guard('list dead jobs', () => listDead(this.#db, queue, limit, offset))
    return rows.map((row) => ({
      id: String(row.id),
      queue,
      data: JSON.parse(String(row.data)) as T,
      attempts: Number(row.attempts_made),
      error: { code: String(row.error_code ?? 'HANDLER_ERROR'), message: String(row.error_message ?? '') },
      failedAt: Number(row.run_at),
    }))
  }

  async retryDead(queue: string, id: string): Promise<boolean> {
    this.#open()
    checkQueueName(queue)
    checkJobId(id)
    const revived = this.#guard('retry a dead job', () => reviveDead(this.#db, queue, id, Date.now()))
    if (revived) this.#wake(queue)
    return revived
  }

  async close(timeoutMs?: number): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#adds.flush()
    const workers = [...this.#workers.values()].flatMap((set) => [...set])
    this.#workers.clear()
    await Promise.all(workers.map((worker) => worker.close(timeoutMs)))
    this.#db.close()
  }

  #wake(queue: string): void {
    for (const worker of this.#workers.get(queue) ?? []) worker.wake()
  }

  #open(): void {
    if (this.#closed) throw queueClosed('sqlite')
  }

  #guard<R>(what: string, work: () => R): R {
    try {
      return work()
    } catch (err) {
      if (err instanceof BridgeError) throw err
      throw unavailable('sqlite', what, err)
    }
  }
}

function encode(job: JobSpec<unknown>): string {
  let text: string | undefined
  try {
    text = JSON.stringify(job.data)
  } catch (err) {
    throw invalidData(job.id, err)
  }
  return text ?? 'null'
}
