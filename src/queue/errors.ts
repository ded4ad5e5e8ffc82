import { BridgeError, InvalidInputError } from '../core/errors.ts'
import { redactText, redactUrl } from '../core/redact.ts'

/**
 * The errors every queue driver raises, so callers (and the conformance suite) see the same
 * codes whatever the backend. Each function returns the error; the caller throws it.
 */
export type QueueErrorCode =
  | 'QUEUE_INVALID_JOB_ID'
  | 'QUEUE_INVALID_NAME'
  | 'QUEUE_INVALID_DELAY'
  | 'QUEUE_INVALID_DATA'
  | 'QUEUE_INVALID_OPTIONS'
  | 'QUEUE_CLOSED'
  | 'QUEUE_OPEN_FAILED'
  | 'QUEUE_UNREACHABLE'
  | 'QUEUE_UNAVAILABLE'
  | 'QUEUE_STALLED'
  | 'QUEUE_HOOK_FAILED'
  | 'QUEUE_UNKNOWN_DRIVER'

/** A job id the queue cannot take; `problem` says why, with the offending id. */
export function invalidJobId(id: unknown, problem: string): BridgeError {
  const shown =
    typeof id === 'string' ? JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id) : typeof id
  return new InvalidInputError('QUEUE_INVALID_JOB_ID', `invalid job id ${shown}: ${problem}`, {
    hint: 'derive job ids from message ids: a non-empty string without ":" that is not all digits',
  })
}

/** A queue name the queue cannot take. */
export function invalidName(name: unknown): BridgeError {
  const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 120)) : typeof name
  return new InvalidInputError('QUEUE_INVALID_NAME', `invalid queue name ${shown}`, {
    hint: 'use 1 to 100 letters, digits, ".", "_" or "-"',
  })
}

/** A job's delayMs is not a finite number >= 0. */
export function invalidDelay(id: string, delay: unknown): BridgeError {
  return new InvalidInputError(
    'QUEUE_INVALID_DELAY',
    `job ${JSON.stringify(id)} has delayMs ${String(delay)}, expected a finite number >= 0`,
  )
}

/** A job's data that JSON cannot carry (a BigInt, a cycle…). */
export function invalidData(id: string, cause: unknown): BridgeError {
  return new InvalidInputError(
    'QUEUE_INVALID_DATA',
    `job ${JSON.stringify(id)} has data JSON cannot encode`,
    {
      cause,
      hint: 'job data must be plain JSON: objects, arrays, strings, finite numbers, booleans, null',
    },
  )
}

/** A worker option out of range. */
export function invalidOptions(what: string, problem: string): BridgeError {
  return new InvalidInputError('QUEUE_INVALID_OPTIONS', `queue option ${what} ${problem}`)
}

/** The driver was closed. */
export function queueClosed(driver: string): BridgeError {
  return new BridgeError('QUEUE_CLOSED', `the ${driver} queue is closed`, {
    hint: 'open a new queue; close() was already called on this one',
    status: 503,
  })
}

/** The embedded queue's database could not be opened. */
export function openFailed(where: string, cause: unknown): BridgeError {
  return new BridgeError('QUEUE_OPEN_FAILED', `cannot open the queue database at ${where}`, {
    cause,
    hint: [
      'check that the directory exists and is writable by the bridge',
      'queue.sqlite.path must name a file',
    ],
    status: 503,
  })
}

/** Redis did not answer at startup. The URL is shown without its credentials. */
export function unreachable(url: string, cause: unknown): BridgeError {
  return new BridgeError('QUEUE_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)}`, {
    cause,
    hint: [
      'check that Redis is running and that queue.redis.url names it (redis://[:password@]host:port[/db])',
      'or set queue.driver: sqlite to run without Redis',
    ],
    retryable: true,
    status: 503,
  })
}

/** A queue operation failed on the backend (Redis down, database locked…); retry later. */
export function unavailable(driver: string, what: string, cause: unknown): BridgeError {
  return new BridgeError('QUEUE_UNAVAILABLE', `the ${driver} queue could not ${what}`, {
    cause,
    hint: 'retry later; if it lasts, check the queue backend (see the cause)',
    retryable: true,
    status: 503,
  })
}

/** The message a dead job shows when its worker died too many times while running it. */
export function stalledTooOften(redeliveries: number): { code: string; message: string } {
  return {
    code: 'QUEUE_STALLED',
    message: `the job's worker died while running it, again after ${redeliveries} redeliveries`,
  }
}

/** An error reported to `onError`: a background failure (polling, lease renewal, hooks). */
export function backgroundFailure(driver: string, what: string, cause: unknown): BridgeError {
  if (cause instanceof BridgeError) return cause
  const detail = cause instanceof Error ? redactText(cause.message.split('\n')[0] ?? '') : ''
  return new BridgeError(
    'QUEUE_UNAVAILABLE',
    `the ${driver} queue failed to ${what}${detail ? `: ${detail}` : ''}`,
    {
      cause,
      retryable: true,
      status: 503,
    },
  )
}
