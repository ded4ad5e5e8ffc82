import { invalidDelay, invalidJobId, invalidName, invalidOptions } from './errors.ts'
import type { JobSpec, QueueOptions } from './port.ts'

const NAME = /^[A-Za-z0-9._-]{1,100}$/
const ALL_DIGITS = /^[0-9]+$/
/** The longest job id the queue takes (ids are derived from hashes; this leaves room). */
export const MAX_JOB_ID_LENGTH = 256

/** @throws InvalidInputError QUEUE_INVALID_NAME unless `name` is a valid queue name. */
export function checkQueueName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw invalidName(name)
  return name
}

/** @throws InvalidInputError QUEUE_INVALID_JOB_ID for an id with ':', all digits, empty or too long. */
export function checkJobId(id: unknown): string {
  if (typeof id !== 'string') throw invalidJobId(id, 'expected a string')
  if (id.length === 0) throw invalidJobId(id, 'it is empty')
  if (id.length > MAX_JOB_ID_LENGTH) throw invalidJobId(id, `longer than ${MAX_JOB_ID_LENGTH} characters`)
  if (id.includes(':')) throw invalidJobId(id, 'it contains ":"')
  if (ALL_DIGITS.test(id)) throw invalidJobId(id, 'it is all digits')
  return id
}

/**
 * Checks a whole batch before anything is written, so `add` is all or nothing.
 * @returns each job's delay in whole milliseconds (0 when none).
 * @throws InvalidInputError QUEUE_INVALID_JOB_ID / QUEUE_INVALID_DELAY.
 */
export function checkJobs<T>(jobs: readonly JobSpec<T>[]): number[] {
  if (!Array.isArray(jobs)) throw invalidOptions('jobs', 'must be an array of { id, data, delayMs? }')
  return jobs.map((job) => {
    const id = checkJobId(job?.id)
    const delay = job.delayMs ?? 0
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) throw invalidDelay(id, delay)
    return Math.ceil(delay)
  })
}

/** @throws InvalidInputError QUEUE_INVALID_OPTIONS naming the first option out of range. */
export function checkOptions(options: QueueOptions<unknown>): void {
  if (options === null || typeof options !== 'object') {
    throw invalidOptions('options', 'must be { attempts, backoff, concurrency }')
  }
  const { attempts, concurrency, backoff } = options
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw invalidOptions('attempts', `must be an integer >= 1, got ${String(attempts)}`)
  }
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
    throw invalidOptions('concurrency', `must be an integer from 1 to 10000, got ${String(concurrency)}`)
  }
  if (backoff === null || typeof backoff !== 'object')
    throw invalidOptions('backoff', 'must be { baseMs, maxMs }')
  if (!Number.isFinite(backoff.baseMs) || backoff.baseMs < 0) {
    throw invalidOptions('backoff.baseMs', `must be a number >= 0, got ${String(backoff.baseMs)}`)
  }
  if (!Number.isFinite(backoff.maxMs) || backoff.maxMs < backoff.baseMs) {
    throw invalidOptions('backoff.maxMs', `must be a number >= backoff.baseMs, got ${String(backoff.maxMs)}`)
  }
}

/** `dead()` paging with defaults (limit 100, offset 0), clamped to sane integers. */
export function pageOptions(options: { limit?: number; offset?: number } = {}): {
  limit: number
  offset: number
} {
  return {
    limit: clampInt(options.limit, 100, 1, 10_000),
    offset: clampInt(options.offset, 0, 0, Number.MAX_SAFE_INTEGER),
  }
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, Math.floor(value)))
}
