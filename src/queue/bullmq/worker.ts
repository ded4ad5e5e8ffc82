import { type Job as BullJob, Worker as BullWorker, UnrecoverableError } from 'bullmq'
import type { Redis } from 'ioredis'
import { backoffDelay } from '../backoff.ts'
import { notifyAttemptFailed, summarizeError, willRetry } from '../failure.ts'
import type { Handler, Job, QueueOptions, Worker } from '../port.ts'
import { settleWithin } from './connection.ts'

/** Settings every BullMQ worker of the bridge shares (the stalled check is per queue). */
export const WORKER_SETTINGS = {
  lockDuration: 5000,
  stalledInterval: 2000,
  /** Times a job is redelivered after its worker died running it, before it is failed as stalled. */
  maxStalledCount: 10,
} as const

/** The backoff type jobs are added with; the worker's strategy computes it. */
export const BACKOFF_TYPE = 'mfb-jitter'
const DEFAULT_CLOSE_MS = 30_000

/** What a worker borrows from its driver: the shared worker connection and settings. */
export interface BullWorkerContext {
  readonly connection: Redis
  readonly prefix: string
  readonly retentionMs: number
  readonly onError: (err: unknown) => void
}

/**
 * Runs `handler` on `queue` with a BullMQ Worker. The attempts limit is the worker's: jobs are
 * added with a very high `attempts`, and the last allowed attempt (or a non-retryable error)
 * throws UnrecoverableError so BullMQ moves the job to its failed set — our dead letters.
 * Errors reach BullMQ as `CODE: message` so that `dead()` can show the code.
 */
export function startBullWorker<T>(
  queue: string,
  handler: Handler<T>,
  options: QueueOptions<T>,
  context: BullWorkerContext,
): Worker {
  const processor = async (bull: BullJob<T>): Promise<void> => {
    const job: Job<T> = {
      id: bull.id ?? '',
      queue,
      data: bull.data,
      attempt: bull.attemptsMade + 1,
      maxAttempts: options.attempts,
      enqueuedAt: bull.timestamp,
    }
    try {
      await handler(job)
    } catch (err) {
      const retry = willRetry(job, err)
      await notifyAttemptFailed(options.events, job, err, retry, context.onError)
      const { code, message } = summarizeError(err)
      const reason = `${code}: ${message}`
      throw retry ? new Error(reason) : new UnrecoverableError(reason)
    }
  }
  const worker = new BullWorker<T, void>(queue, processor, {
    connection: context.connection,
    prefix: context.prefix,
    concurrency: options.concurrency,
    ...WORKER_SETTINGS,
    removeOnComplete: { age: Math.ceil(context.retentionMs / 1000) },
    settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(options.backoff, attemptsMade) },
  })
  worker.on('error', (err) => context.onError(err))
  let closing: Promise<void> | undefined
  return {
    close: (timeoutMs = DEFAULT_CLOSE_MS) => {
      closing ??= closeWithin(worker, context.connection, timeoutMs, context.onError)
      return closing
    },
  }
}

/**
 * Closes the worker, waiting up to `timeoutMs` for active jobs. Past it, stops waiting: the
 * close goes on in the background, and once the driver drops its connections the jobs' locks
 * expire and the stalled check redelivers them. With Redis unreachable nothing can be
 * recorded anyway: the worker is closed at once (force). Never throws.
 */
async function closeWithin(
  worker: BullWorker,
  connection: Redis,
  timeoutMs: number,
  onError: (err: unknown) => void,
): Promise<void> {
  const force = connection.status !== 'ready'
  const closed = worker.close(force).catch(onError)
  await settleWithin(closed, force ? Math.min(timeoutMs, 1000) : timeoutMs)
}
