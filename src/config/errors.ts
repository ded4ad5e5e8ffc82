import { BridgeError } from '../core/errors.ts'

/** A configuration problem: the CLI prints its one line and exits with status 2. */
export class ConfigError extends BridgeError {
  constructor(code: string, shortMessage: string, hint: string | readonly string[], cause?: unknown) {
    super(code, shortMessage, { hint, status: 500, ...(cause === undefined ? {} : { cause }) })
  }
}
