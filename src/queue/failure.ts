import { BridgeError, isRetryable } from '../core/errors.ts'
import { redactText } from '../core/redact.ts'
import type { Job, QueueEvents } from './port.ts'

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const MAX_MESSAGE = 1000

/** What a dead job shows of the error that killed it. */
export interface ErrorSummary {
  readonly code: string
  readonly message: string
}

/**
 * The code and one-line message of a thrown value, secrets stripped: a BridgeError's code and
 * short message; another Error's `code` when it looks like one (`ECONNREFUSED`), else
 * `HANDLER_ERROR`, with its first message line.
 */
export function summarizeError(err: unknown): ErrorSummary {
  if (err instanceof BridgeError) return { code: err.code, message: clip(err.shortMessage) }
  const raw = (err as { code?: unknown } | null)?.code
  const code = typeof raw === 'string' && CODE.test(raw) ? raw : 'HANDLER_ERROR'
  const text = err instanceof Error ? err.message : String(err)
  return { code, message: clip(redactText(text.split('\n')[0] ?? '')) }
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text
}

/** What to do after a failed attempt: retry (with backoff) or dead-letter now. */
export function willRetry(job: Job<unknown>, err: unknown): boolean {
  return isRetryable(err) && job.attempt < job.maxAttempts
}

/**
 * Calls `events.onAttemptFailed`, awaiting it; a hook that throws is reported to `onError`,
 * never to the caller. Never throws.
 */
export async function notifyAttemptFailed<T>(
  events: QueueEvents<T> | undefined,
  job: Job<T>,
  err: unknown,
  retry: boolean,
  onError: (err: unknown) => void,
): Promise<void> {
  if (events?.onAttemptFailed === undefined) return
  try {
    await events.onAttemptFailed(job, err, retry)
  } catch (hookErr) {
    const detail = hookErr instanceof Error ? redactText(hookErr.message.split('\n')[0] ?? '') : ''
    onError(
      new BridgeError(
        'QUEUE_HOOK_FAILED',
        `onAttemptFailed threw for job ${JSON.stringify(job.id)}: ${detail}`,
        {
          cause: hookErr,
          hint: 'the job went on as if the hook had succeeded; fix the hook',
        },
      ),
    )
  }
}
