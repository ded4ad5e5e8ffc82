import { BridgeError, type BridgeErrorOptions, InvalidInputError } from '../core/errors.ts'

/**
 * The errors of the crypto module, one class per condition. None of them ever carries key
 * material or plaintext: messages name lengths, versions and which input was wrong.
 */

/** A sealed box that cannot be parsed: too short, or a version this build does not know. */
export class SealedBoxMalformedError extends InvalidInputError {
  constructor(shortMessage: string, options: BridgeErrorOptions = {}) {
    super('SEALED_BOX_MALFORMED', shortMessage, options)
  }
}

/** A sealed box whose authentication failed: altered in transit, or sealed for another node. */
export class SealedBoxAuthError extends InvalidInputError {
  constructor(
    shortMessage = 'sealed box failed authentication: it was altered, or not sealed for this node',
    options: BridgeErrorOptions = {},
  ) {
    super('SEALED_BOX_AUTH_FAILED', shortMessage, options)
  }
}

/** An X25519 exchange that would yield the all-zero secret: the peer key is a low-order point. */
export class LowOrderKeyError extends InvalidInputError {
  constructor(which: string, options: BridgeErrorOptions = {}) {
    super(
      'CRYPTO_LOW_ORDER_KEY',
      `${which} is a low-order X25519 point: the shared secret would be all zero`,
      options,
    )
  }
}

/** Codes of the key file errors; each is distinct so the CLI can answer each one. */
export type KeyFileErrorCode =
  | 'KEY_FILE_MISSING'
  | 'KEY_FILE_UNREADABLE'
  | 'KEY_FILE_CORRUPT'
  | 'KEY_FILE_WRITE_FAILED'
  | 'KEY_PASSPHRASE_REQUIRED'
  | 'KEY_PASSPHRASE_WRONG'

/** A key file that is missing, unreadable, corrupt, or locked by a passphrase (status 500). */
export class KeyFileError extends BridgeError {
  declare readonly code: KeyFileErrorCode

  constructor(code: KeyFileErrorCode, shortMessage: string, options: BridgeErrorOptions = {}) {
    super(code, shortMessage, options)
  }
}
