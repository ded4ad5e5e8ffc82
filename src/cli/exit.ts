import { CommanderError } from 'commander'
import { ConfigError } from '../config/errors.ts'
import { BridgeError } from '../core/errors.ts'
import { redactText } from '../core/redact.ts'

/** Exit codes of the outside contract: 0 success, 1 runtime failure, 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/** A command line that cannot be carried out as written (exit 2, like commander's own errors). */
export class UsageError extends BridgeError {
  constructor(shortMessage: string, hint: string) {
    super('USAGE', shortMessage, { hint, status: 400 })
  }
}

/** The one line a failed command prints, and the code it exits with. */
export function describeFailure(err: unknown): { line: string; code: number } {
  if (err instanceof CommanderError) return { line: '', code: err.exitCode === 0 ? EXIT.ok : EXIT.usage }
  if (err instanceof BridgeError) {
    const hint = err.hints.length ? ` (${err.hints.join('; ')})` : ''
    return {
      line: `error: ${err.shortMessage}${hint}`,
      code: err instanceof ConfigError || err instanceof UsageError ? EXIT.usage : EXIT.failure,
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { line: `error: ${redactText(message.split('\n')[0] ?? '')}`, code: EXIT.failure }
}
