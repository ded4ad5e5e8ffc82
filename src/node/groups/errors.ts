import { BridgeError, type BridgeErrorOptions, type HttpStatus } from '../../core/errors.ts'

/**
 * The errors of the MLS group layer, one code per condition the node answers differently.
 * None carries key material or plaintext: messages name epochs, lengths, group ids and
 * member keys (public), never secrets.
 */

export type GroupErrorCode =
  | 'GROUP_BAD_INPUT'
  | 'GROUP_MESSAGE_INVALID'
  | 'GROUP_WRONG_GROUP'
  | 'GROUP_EPOCH_MISMATCH'
  | 'GROUP_COMMIT_UNSUPPORTED'
  | 'GROUP_KEY_PACKAGE_INVALID'
  | 'GROUP_WELCOME_INVALID'
  | 'GROUP_WELCOME_NOT_FOR_US'
  | 'GROUP_NOT_MEMBER'
  | 'GROUP_SENDER_REMOVED'
  | 'GROUP_OWN_MESSAGE'
  | 'GROUP_ALREADY_MEMBER'
  | 'GROUP_STATE_STALE'
  | 'GROUP_STATE_INVALID'
  | 'GROUP_IDENTITY_MISMATCH'
  | 'GROUP_OPERATION_FAILED'

/** Every error this layer throws on purpose; `code` says which condition. Not retryable. */
export class GroupError extends BridgeError {
  declare readonly code: GroupErrorCode

  constructor(
    code: GroupErrorCode,
    shortMessage: string,
    status: HttpStatus,
    options: BridgeErrorOptions = {},
  ) {
    super(code, shortMessage, { status, retryable: false, ...options })
  }
}

/**
 * A commit or message for another epoch than the state's. `expected` is the epoch the state
 * accepts, `got` the one the bytes carry; `got > expected` means commits are missing.
 */
export class GroupEpochMismatchError extends GroupError {
  readonly expected: bigint
  readonly got: bigint

  constructor(what: 'commit' | 'message', expected: bigint, got: bigint) {
    const hint =
      got > expected
        ? `process the missing commits (epochs ${expected} to ${got - 1n}) in order first`
        : what === 'commit'
          ? 'this commit was already applied (or lost a race at the orderer): drop it'
          : 'the message is older than the epochs this state keeps keys for: it cannot be read any more'
    super('GROUP_EPOCH_MISMATCH', `${what} for epoch ${got}, expected epoch ${expected}`, 409, { hint })
    this.expected = expected
    this.got = got
  }
}

/**
 * Runs `fn`; our own errors pass through, anything else (ts-mls throws plain Errors and
 * MlsErrors) becomes `toError(cause)`, the original kept as its cause.
 */
export async function mapFailure<T>(
  fn: () => Promise<T>,
  toError: (cause: unknown) => GroupError,
): Promise<T> {
  try {
    return await fn()
  } catch (cause) {
    if (cause instanceof BridgeError) throw cause
    throw toError(cause)
  }
}

/** A short, printable form of a public key or group id for messages (not a secret). */
export function shortHex(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 8)).toString('hex')
  return bytes.length > 8 ? `${hex}…` : hex
}

/** What an argument that should have been bytes was, for messages: never its content. */
export function shapeOf(value: unknown): string {
  return value instanceof Uint8Array ? `length=${value.length}` : typeof value
}

/** Wrong argument types or shapes from the caller (a bug in the caller, not in the bytes). */
export function badInput(shortMessage: string): GroupError {
  return new GroupError('GROUP_BAD_INPUT', shortMessage, 400)
}

/** Bytes that are not a well-formed, authentic MLS message of the kind asked for. */
export function messageInvalid(shortMessage: string, cause?: unknown): GroupError {
  return new GroupError('GROUP_MESSAGE_INVALID', shortMessage, 400, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'the bytes were altered, truncated, or are not an MLS message of this group: drop them',
  })
}

/** A well-formed message of another group. */
export function wrongGroup(expected: Uint8Array, got: Uint8Array): GroupError {
  return new GroupError(
    'GROUP_WRONG_GROUP',
    `message for group ${shortHex(got)}, this state is group ${shortHex(expected)}`,
    400,
    { hint: 'route the message to the state of its own group' },
  )
}

/** A commit carrying proposals this layer never makes (PSK, re-init, extensions, …). */
export function commitUnsupported(kinds: readonly string[]): GroupError {
  return new GroupError(
    'GROUP_COMMIT_UNSUPPORTED',
    `commit carries proposals this node does not accept: ${kinds.join(', ')}`,
    400,
    { hint: 'only add, remove and update commits are accepted; the group keeps its current epoch' },
  )
}

/** A commit that would change the signature key, hence the identity, of a member. */
export function commitChangesKey(): GroupError {
  return new GroupError(
    'GROUP_COMMIT_UNSUPPORTED',
    "commit changes the key of a member: a member's key is its node identity",
    400,
    {
      hint: 'a node that changes its identity key must be removed and added again; the group keeps its epoch',
    },
  )
}

/** A key package that does not parse, uses another suite, or fails its checks. */
export function keyPackageInvalid(index: number, reason: string, cause?: unknown): GroupError {
  return new GroupError('GROUP_KEY_PACKAGE_INVALID', `key package #${index}: ${reason}`, 400, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'ask the member for a fresh key package made by createKeyPackage()',
  })
}

/** A welcome that does not parse or fails its checks. */
export function welcomeInvalid(reason: string, cause?: unknown): GroupError {
  return new GroupError('GROUP_WELCOME_INVALID', `welcome: ${reason}`, 400, {
    ...(cause === undefined ? {} : { cause }),
  })
}

/** A welcome that invites other key packages, not this one. */
export function welcomeNotForUs(): GroupError {
  return new GroupError('GROUP_WELCOME_NOT_FOR_US', 'welcome does not invite this key package', 400, {
    hint: 'join with the private package whose public package was added, or ignore this welcome',
  })
}

/** A member key that is not in the group. */
export function notMember(publicKey: Uint8Array): GroupError {
  return new GroupError('GROUP_NOT_MEMBER', `${shortHex(publicKey)} is not a member of the group`, 404)
}

/** A message this member sent itself, echoed back: MLS senders cannot read their own. */
export function ownMessage(): GroupError {
  return new GroupError('GROUP_OWN_MESSAGE', 'ciphertext was sent by this member', 400, {
    hint: 'a sender keeps its own plaintext; drop echoes of its messages',
  })
}

/** A message from an earlier epoch whose sender has since been removed from the group. */
export function senderRemoved(publicKey: Uint8Array, sentAt: bigint): GroupError {
  return new GroupError(
    'GROUP_SENDER_REMOVED',
    `message of epoch ${sentAt} from ${shortHex(publicKey)}, who is no longer a member`,
    403,
    { hint: 'a removed member keeps its old epoch keys: its late messages are refused' },
  )
}

/** A key package of someone already in the group (or twice in one call). */
export function alreadyMember(index: number, publicKey: Uint8Array): GroupError {
  return new GroupError(
    'GROUP_ALREADY_MEMBER',
    `key package #${index}: ${shortHex(publicKey)} is already a member (or added twice)`,
    409,
  )
}

/** A state handle that was already advanced by encryptMessage, decryptMessage or processCommit. */
export function stateStale(): GroupError {
  return new GroupError('GROUP_STATE_STALE', 'this group state was already used and replaced', 409, {
    hint: 'use the state returned by the previous call: reusing an old one would replay or reuse keys',
  })
}

/** Persisted group bytes that do not decode. */
export function stateInvalid(reason: string, cause?: unknown): GroupError {
  return new GroupError('GROUP_STATE_INVALID', `group state: ${reason}`, 500, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'the stored group state is corrupt or from a newer build; rejoin the group with a fresh key package',
  })
}

/** Persisted state or a private package that belongs to another node identity. */
export function identityMismatch(what: string): GroupError {
  return new GroupError('GROUP_IDENTITY_MISMATCH', `${what} belongs to another node identity`, 400)
}

/** A local operation that ts-mls refused for a reason none of the checks above caught. */
export function operationFailed(operation: string, cause: unknown): GroupError {
  return new GroupError('GROUP_OPERATION_FAILED', `${operation} failed`, 500, { cause })
}
