import { pino } from 'pino'
import { BridgeError } from '../core/errors.ts'
import { redactText } from '../core/redact.ts'

export type Logger = pino.Logger

/**
 * Paths pino blanks before a line is written. Keys, tokens, passphrases and message bodies
 * never reach a log line, whatever object a caller passes.
 */
const REDACT = [
  'token',
  'password',
  'passphrase',
  'secret',
  'seed',
  'authorization',
  'body',
  'plaintext',
  '*.token',
  '*.password',
  '*.passphrase',
  '*.secret',
  '*.seed',
  '*.authorization',
  '*.body',
  '*.plaintext',
  'req.headers.authorization',
  'headers.authorization',
]

export interface LoggerOptions {
  readonly level: string
  /** Where lines go (default: stdout). */
  readonly destination?: pino.DestinationStream
}

/** The structured JSON logger; one line per event, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  )
}

/** Errors as log fields: code, one-line message, hints, cause chain; URLs stripped of credentials. */
export function serializeError(err: unknown): Record<string, unknown> {
  if (err instanceof BridgeError) {
    return {
      type: err.name,
      code: err.code,
      message: err.shortMessage,
      hints: err.hints,
      retryable: err.retryable,
      ...(err.cause === undefined ? {} : { cause: serializeError(err.cause) }),
    }
  }
  if (err instanceof Error) {
    return {
      type: err.name,
      message: redactText(err.message),
      stack: err.stack ? redactText(err.stack) : undefined,
      ...(err.cause === undefined ? {} : { cause: serializeError(err.cause) }),
    }
  }
  return { message: redactText(String(err)) }
}
