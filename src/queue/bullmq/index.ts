import { Queue } from 'bullmq'
import { BridgeError } from '../../core/errors.ts'
import { backgroundFailure, invalidData, invalidOptions, queueClosed, unavailable } from '../errors.ts'
import type { DeadJob, Handler, JobSpec, QueueCounts, QueueDriver, QueueOptions, Worker } from '../port.ts'
import { checkJobId, checkJobs, checkOptions, checkQueueName, pageOptions } from '../validate.ts'
import { connectRedis, type RedisConnections, settleWithin, throttled } from './connection.ts'
import { BACKOFF_TYPE, startBullWorker } from './worker.ts'

/** Settings of the Redis driver (`queue.redis` in the config). */
export interface BullmqQueueOptions {
  /** `redis://[:password@]host:port[/db]`; its credentials never reach a log or an error. */
  readonly url: string
  /** Key prefix (default `mfb`), so several bridges can share one Redis. */
  readonly prefix?: string
  /** How long completed job ids are kept for idempotent add, in ms (default 24 h). */
  readonly retentionMs?: number
  /** Background failures: Redis connection errors (each message at most every 10 s), hooks that threw. */
  readonly onError?: (err: BridgeError) => void
}

/** Jobs carry this many attempts; the worker's `QueueOptions.attempts` is the real limit. */
const JOB_ATTEMPTS = 1_000_000
const FAILED_REASON = /^([A-Z][A-Z0-9_]{0,63}): ([\s\S]*)$/

/**
 * Opens the queue on Redis through BullMQ — the scale-out driver: every process that opens
 * the same Redis and prefix shares the work. Waits for Redis to answer (at most 5 s).
 * @throws QUEUE_UNREACHABLE (retryable) naming the redacted URL; QUEUE_INVALID_OPTIONS.
 * @example
 *   const queue = await openBullmqQueue({ url: 'redis://127.0.0.1:6379' })
 */
export async function openBullmqQueue(options: BullmqQueueOptions): Promise<QueueDriver> {
  if (typeof options?.url !== 'string' || options.url.length === 0) {
    throw invalidOptions('redis.url', 'must be a non-empty redis:// URL')
  }
  const prefix = options.prefix ?? 'mfb'
  if (!/^[A-Za-z0-9._-]{1,50}$/.test(prefix)) {
    throw invalidOptions('redis.prefix', 'must be 1 to 50 letters, digits, ".", "_" or "-"')
  }
  const retentionMs = options.retentionMs ?? 24 * 3600_000
  if (!Number.isFinite(retentionMs) || retentionMs < 1000)
    throw invalidOptions('retentionMs', 'must be >= 1000')
  const report = options.onError ?? (() => {})
  const onError = throttled((err: unknown): void =>
    report(backgroundFailure('bullmq', 'work with Redis', err)),
  )
  const connections = await connectRedis(options.url, onError)
  return new BullmqQueue(connections, prefix, retentionMs, onError)
}

class BullmqQueue implements QueueDriver {
  readonly name = 'bullmq'
  readonly #redis: RedisConnections
  readonly #prefix: string
  readonly #retentionMs: number
  readonly #onError: (err: unknown) => void
  readonly #queues = new Map<string, Queue>()
  readonly #workers = new Set<Worker>()
  #closed = false

  constructor(redis: RedisConnections, prefix: string, retentionMs: number, onError: (err: unknown) => void) {
    this.#redis = redis
    this.#prefix = prefix
    this.#retentionMs = retentionMs
    this.#onError = onError
  }

  async add<T>(queue: string, jobs: readonly JobSpec<T>[]): Promise<void> {
    const q = this.#queue(queue)
    const delays = checkJobs(jobs)
    if (jobs.length === 0) return
    const bulk = jobs.map((job, i) => {
      if (!isJsonable(job.data)) throw invalidData(job.id, undefined)
      return {
        name: queue,
        data: job.data ?? null,
        opts: {
          jobId: job.id,
          delay: delays[i] ?? 0,
          attempts: JOB_ATTEMPTS,
          backoff: { type: BACKOFF_TYPE },
          stackTraceLimit: 0,
        },
      }
    })
    await this.#guard('add jobs', () => q.addBulk(bulk))
  }

  process<T>(queue: string, handler: Handler<T>, options: QueueOptions<T>): Worker {
    this.#open()
    checkQueueName(queue)
    checkOptions(options as QueueOptions<unknown>)
    if (typeof handler !== 'function') throw invalidOptions('handler', 'must be a function')
    const worker = startBullWorker(queue, handler, options, {
      connection: this.#redis.worker,
      prefix: this.#prefix,
      retentionMs: this.#retentionMs,
      onError: this.#onError,
    })
    this.#workers.add(worker)
    return {
      close: async (timeoutMs?: number) => {
        await worker.close(timeoutMs)
        this.#workers.delete(worker)
      },
    }
  }

  async counts(queue: string): Promise<QueueCounts> {
    const q = this.#queue(queue)
    const c = await this.#guard('count jobs', () =>
      q.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed'),
    )
    const n = (key: string): number => c[key] ?? 0
    return {
      waiting: n('wait') + n('prioritized'),
      active: n('active'),
      delayed: n('delayed'),
      dead: n('failed'),
    }
  }

  async dead<T>(queue: string, options: { limit?: number; offset?: number } = {}): Promise<DeadJob<T>[]> {
    const q = this.#queue(queue)
    const { limit, offset } = pageOptions(options)
    const jobs = await this.#guard('list dead jobs', () => q.getFailed(offset, offset + limit - 1))
    return jobs.map((job) => ({
      id: job.id ?? '',
      queue,
      data: job.data as T,
      attempts: job.attemptsMade,
      error: parseReason(job.failedReason),
      failedAt: job.finishedOn ?? job.processedOn ?? job.timestamp,
    }))
  }

  async retryDead(queue: string, id: string): Promise<boolean> {
    const q = this.#queue(queue)
    checkJobId(id)
    return this.#guard('retry a dead job', async () => {
      const job = await q.getJob(id)
      if (job === undefined || (await job.getState()) !== 'failed') return false
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
        return true
      } catch (err) {
        if ((await job.getState()) !== 'failed') return false // retried or removed meanwhile
        throw err
      }
    })
  }

  async close(timeoutMs?: number): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#workers].map((worker) => worker.close(timeoutMs)))
    this.#workers.clear()
    await Promise.all([...this.#queues.values()].map((q) => settleWithin(q.close(), 1000)))
    this.#queues.clear()
    await this.#redis.close()
  }

  #queue(name: string): Queue {
    this.#open()
    checkQueueName(name)
    let q = this.#queues.get(name)
    if (q === undefined) {
      q = new Queue(name, { connection: this.#redis.queue, prefix: this.#prefix })
      q.on('error', (err) => this.#onError(err))
      this.#queues.set(name, q)
    }
    return q
  }

  #open(): void {
    if (this.#closed) throw queueClosed('bullmq')
  }

  async #guard<R>(what: string, work: () => Promise<R>): Promise<R> {
    try {
      return await work()
    } catch (err) {
      if (err instanceof BridgeError) throw err
      throw unavailable('bullmq', what, err)
    }
  }
}

/** The code and message a dead job's failedReason carries (`CODE: message`, as the worker throws). */
function parseReason(reason: string | undefined): { code: string; message: string } {
  const match = FAILED_REASON.exec(reason ?? '')
  if (match) return { code: match[1] ?? 'HANDLER_ERROR', message: match[2] ?? '' }
  const message = reason ?? ''
  return { code: /stalled/i.test(message) ? 'QUEUE_STALLED' : 'HANDLER_ERROR', message }
}

function isJsonable(data: unknown): boolean {
  try {
    JSON.stringify(data)
    return true
  } catch {
    return false
  }
}
