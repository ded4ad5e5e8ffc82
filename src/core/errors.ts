import { redactText } from './redact.ts'

/** How an error should be answered over HTTP; the API's error handler reads it. */
export type HttpStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504

export interface BridgeErrorOptions {
  /** The underlying error, kept for the log; never shown to API clients. */
  cause?: unknown
  /** Lines telling the reader what to do about it. */
  hint?: string | readonly string[]
  /** Whether the queue may try the same work again (a transient failure). */
  retryable?: boolean
  /** Status for the HTTP error response. */
  status?: HttpStatus
}

/**
 * The base of every error the bridge raises on purpose.
 *
 * `code` is stable and machine readable (`CONFIG_UNKNOWN_KEY`); `shortMessage` is one line
 * naming what was wrong, with the offending value; `hints` say how to fix it. URLs in the
 * message and hints lose their credentials before they are stored, so an error can be logged
 * or returned as is.
 *
 * @example
 *   throw new BridgeError('STORE_OPEN_FAILED', `cannot open ${path}`, {
 *     hint: 'check that data_dir is writable', cause: err })
 */
export class BridgeError extends Error {
  readonly code: string
  readonly shortMessage: string
  readonly hints: readonly string[]
  readonly retryable: boolean
  readonly status: HttpStatus

  constructor(code: string, shortMessage: string, options: BridgeErrorOptions = {}) {
    const short = redactText(shortMessage)
    const hints = (typeof options.hint === 'string' ? [options.hint] : (options.hint ?? [])).map(redactText)
    super(
      formatMessage(short, hints, options.cause),
      options.cause === undefined ? {} : { cause: options.cause },
    )
    this.name = new.target.name
    this.code = code
    this.shortMessage = short
    this.hints = hints
    this.retryable = options.retryable ?? false
    this.status = options.status ?? 500
  }

  /** The hint lines joined into one string, as the JSON error body carries them. */
  get hint(): string {
    return this.hints.join(' ')
  }

  /** The JSON body of an HTTP error response. */
  toJSON(): { error: { code: string; message: string; hint: string } } {
    return { error: { code: this.code, message: this.shortMessage, hint: this.hint } }
  }
}

function formatMessage(short: string, hints: readonly string[], cause: unknown): string {
  const lines = [short]
  for (const hint of hints) lines.push(`  hint: ${hint}`)
  if (cause instanceof Error) lines.push(`  cause: ${redactText(cause.message.split('\n')[0] ?? '')}`)
  return lines.join('\n')
}

/** Input that does not parse or does not validate (HTTP 400 unless told otherwise). */
export class InvalidInputError extends BridgeError {
  constructor(code: string, shortMessage: string, options: BridgeErrorOptions = {}) {
    super(code, shortMessage, { status: 400, ...options })
  }
}

/** Whether a thrown value may be retried; unknown errors are assumed transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof BridgeError ? err.retryable : true
}

/** Any thrown value as a BridgeError, so handlers deal with one shape. */
export function toBridgeError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err
  return new BridgeError('INTERNAL', 'internal error', {
    cause: err,
    hint: 'see the bridge log for the detail',
    retryable: true,
  })
}
