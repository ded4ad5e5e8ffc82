/**
 * The queue port: what the relay pipeline needs from a job queue, whatever runs it. Drivers
 * (`sqlite`, `bullmq`) implement `QueueDriver` and pass one conformance suite
 * (test/unit/queue/conformance.ts).
 *
 * Delivery is at least once: a handler may run again for a job it already handled (its
 * process died before the completion was recorded), so handlers must be idempotent by job id.
 */

/** Exponential backoff: attempt n waits d = min(maxMs, baseMs * 2^(n-1)), jittered in [d/2, d]. */
export interface Backoff {
  readonly baseMs: number
  readonly maxMs: number
}

/** One job to add. `data` must survive JSON (it is stored as JSON). */
export interface JobSpec<T> {
  /** The idempotency key: no ':' and not all digits. */
  readonly id: string
  readonly data: T
  /** Run no earlier than this many milliseconds from now (default 0). */
  readonly delayMs?: number
}

/**
 * Hooks a worker calls as it goes. They are awaited; an error they throw is reported to the
 * driver's `onError` and otherwise ignored (it never changes what happens to the job).
 */
export interface QueueEvents<T = unknown> {
  /**
   * An attempt failed. `willRetry` is false when the job now goes to dead letters (its last
   * attempt, or a non-retryable error). Called before the failure is recorded, once per
   * failed attempt — the pipeline writes its trace row here.
   */
  onAttemptFailed?(job: Job<T>, err: unknown, willRetry: boolean): void | Promise<void>
}

/** How a worker runs a queue. The attempts limit is the worker's, not the job's. */
export interface QueueOptions<T = unknown> {
  /** Attempts before dead letters, >= 1 (1 = no retry). */
  readonly attempts: number
  readonly backoff: Backoff
  /** Handlers running at once in this worker, >= 1. */
  readonly concurrency: number
  readonly events?: QueueEvents<T>
}

/** A job as a handler sees it. */
export interface Job<T> {
  readonly id: string
  readonly queue: string
  readonly data: T
  /** 1-based number of this attempt (a redelivery after a crash keeps the attempt number). */
  readonly attempt: number
  readonly maxAttempts: number
  /** When the job was added (ms since the epoch). */
  readonly enqueuedAt: number
}

/**
 * Does the work of one job. Resolving completes the job; throwing fails the attempt: it is
 * retried with backoff unless it was the last attempt or the error is a BridgeError with
 * `retryable: false` (see `isRetryable`), in which case the job goes to dead letters.
 */
export type Handler<T> = (job: Job<T>) => Promise<void>

/** A job that exhausted its attempts or failed for good. */
export interface DeadJob<T> {
  readonly id: string
  readonly queue: string
  readonly data: T
  /** Attempts made (failed) before it died. */
  readonly attempts: number
  /** The last attempt's error: a BridgeError's code and short message, redacted. */
  readonly error: { code: string; message: string }
  readonly failedAt: number
}

/** How many jobs a queue holds in each state. */
export interface QueueCounts {
  readonly waiting: number
  readonly active: number
  readonly delayed: number
  readonly dead: number
}

/** One `process` call's pool of handlers. */
export interface Worker {
  /**
   * Stops taking jobs and waits for the active ones to finish, up to `timeoutMs` (default
   * 30 s); jobs still running then are left to be redelivered after their lease expires.
   * Idempotent. Never throws.
   */
  close(timeoutMs?: number): Promise<void>
}

/** A job queue backend. Queue names: letters, digits, '.', '_', '-' (at most 100). */
export interface QueueDriver {
  readonly name: 'sqlite' | 'bullmq'
  /**
   * Adds jobs, all or none. Idempotent by job id: adding an id that is waiting, active,
   * delayed, completed (within the retention window) or dead is a no-op. Resolves when the
   * jobs are durable.
   * @throws InvalidInputError QUEUE_INVALID_JOB_ID (an id with ':' or all digits, empty, or
   *   longer than 256), QUEUE_INVALID_NAME, QUEUE_INVALID_DELAY; QUEUE_CLOSED;
   *   QUEUE_UNAVAILABLE (retryable) when the backend cannot be reached.
   */
  add<T>(queue: string, jobs: readonly JobSpec<T>[]): Promise<void>
  /**
   * Starts processing `queue` in this process; returns at once. Handler errors retry with
   * backoff per `options` (non-retryable BridgeErrors dead-letter at once). At least once: a
   * job whose worker died (SIGKILL) is redelivered within 10 s.
   * @throws InvalidInputError QUEUE_INVALID_OPTIONS / QUEUE_INVALID_NAME; QUEUE_CLOSED.
   */
  process<T>(queue: string, handler: Handler<T>, options: QueueOptions<T>): Worker
  /** @throws QUEUE_CLOSED; QUEUE_UNAVAILABLE (retryable). */
  counts(queue: string): Promise<QueueCounts>
  /** Dead jobs, newest first (default limit 100). @throws QUEUE_CLOSED; QUEUE_UNAVAILABLE. */
  dead<T>(queue: string, options?: { limit?: number; offset?: number }): Promise<DeadJob<T>[]>
  /**
   * Moves a dead job back to waiting with its attempts reset; false when there is no such
   * dead job. @throws QUEUE_CLOSED; QUEUE_UNAVAILABLE (retryable).
   */
  retryDead(queue: string, id: string): Promise<boolean>
  /**
   * Closes every worker gracefully (each waits up to `timeoutMs`, default 30 s, for its active
   * jobs), then the connections. Idempotent; never throws.
   */
  close(timeoutMs?: number): Promise<void>
}
