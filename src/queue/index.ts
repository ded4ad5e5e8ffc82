import { BridgeError } from '../core/errors.ts'
import type { QueueDriver } from './port.ts'

export { backoffDelay } from './backoff.ts'
export type { BullmqQueueOptions } from './bullmq/index.ts'
export type { QueueErrorCode } from './errors.ts'
export { type ErrorSummary, summarizeError } from './failure.ts'
export type {
  Backoff,
  DeadJob,
  Handler,
  Job,
  JobSpec,
  QueueCounts,
  QueueDriver,
  QueueEvents,
  QueueOptions,
  Worker,
} from './port.ts'
export type { SqliteQueueOptions } from './sqlite/index.ts'
export { checkJobId, checkQueueName } from './validate.ts'

/** Queue settings as the config carries them (`queue.driver`, `queue.sqlite`, `queue.redis`). */
export type QueueConfig =
  | { driver: 'sqlite'; sqlite: { path: string; lockMs?: number; pollMs?: number; retentionMs?: number } }
  | { driver: 'bullmq'; redis: { url: string; prefix?: string; retentionMs?: number } }

/** What the queue reports besides its return values. */
export interface QueueHooks {
  /** Background failures (a poll that failed, Redis reconnecting, an event hook that threw). */
  readonly onError?: (err: BridgeError) => void
}

/**
 * Opens the queue driver the config names. The driver module is loaded only when chosen, so
 * BullMQ and ioredis load only where Redis is used. Blocks as the driver's open does (SQLite:
 * the file system; BullMQ: up to 5 s for Redis to answer).
 * @throws QUEUE_UNKNOWN_DRIVER; QUEUE_OPEN_FAILED (sqlite); QUEUE_UNREACHABLE (bullmq,
 *   retryable, the URL redacted); InvalidInputError QUEUE_INVALID_OPTIONS.
 * @example
 *   const queue = await openQueue({ driver: 'sqlite', sqlite: { path: 'data/queue.db' } })
 */
export async function openQueue(config: QueueConfig, hooks: QueueHooks = {}): Promise<QueueDriver> {
  switch (config.driver) {
    case 'sqlite': {
      const { openSqliteQueue } = await import('./sqlite/index.ts')
      return openSqliteQueue({ ...config.sqlite, ...hooks })
    }
    case 'bullmq': {
      const { openBullmqQueue } = await import('./bullmq/index.ts')
      return openBullmqQueue({ ...config.redis, ...hooks })
    }
    default: {
      const driver = String((config as { driver: unknown }).driver)
      throw new BridgeError('QUEUE_UNKNOWN_DRIVER', `unknown queue driver ${JSON.stringify(driver)}`, {
        hint: 'set queue.driver to sqlite (embedded, the default) or bullmq (Redis)',
      })
    }
  }
}
