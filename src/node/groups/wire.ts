import { timingSafeEqual } from 'node:crypto'
import {
  type ClientState,
  decodeMlsMessage,
  encodeMlsMessage,
  type KeyPackage,
  type MLSMessage,
  type PrivateMessage,
  type Welcome,
} from 'ts-mls'
import {
  badInput,
  GroupEpochMismatchError,
  keyPackageInvalid,
  messageInvalid,
  welcomeInvalid,
  wrongGroup,
} from './errors.ts'

/**
 * MLS wire bytes in and out (RFC 9420 MLSMessage framing). Inbound bytes are checked here,
 * before any key is touched: framing, wire format, group, epoch and content type, so each
 * failure gets its own error and ts-mls only ever sees a message meant for the state.
 */

/** Bytes of an MLSMessage holding a private (encrypted) message. */
export function encodePrivate(privateMessage: PrivateMessage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage })
}

export function encodeWelcome(welcome: Welcome): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome })
}

export function encodeKeyPackage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage })
}

/** The MLSMessage in `bytes`, or undefined when they are not exactly one. Never throws. */
function parse(bytes: Uint8Array): MLSMessage | undefined {
  try {
    const decoded = decodeMlsMessage(bytes, 0)
    if (decoded === undefined || decoded[1] !== bytes.length) return undefined
    return decoded[0].version === 'mls10' ? decoded[0] : undefined
  } catch {
    return undefined
  }
}

function expectBytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw badInput(`${name}: expected a Uint8Array`)
}

/**
 * The private message in `bytes`, checked against `client`: same group, wanted content type,
 * and an epoch the state can read — exactly its own for a commit (commits apply in order),
 * its own or a retained earlier one for an application message.
 * @throws GroupError `GROUP_MESSAGE_INVALID`, `GROUP_WRONG_GROUP`, `GROUP_EPOCH_MISMATCH`
 *   (a GroupEpochMismatchError), `GROUP_BAD_INPUT`.
 */
export function expectPrivate(
  bytes: unknown,
  client: ClientState,
  contentType: 'application' | 'commit',
): PrivateMessage {
  const name = contentType === 'commit' ? 'commit' : 'ciphertext'
  expectBytes(name, bytes)
  const message = parse(bytes)
  if (message === undefined) throw messageInvalid(`${name} is not an MLS message (${bytes.length} bytes)`)
  if (message.wireformat !== 'mls_private_message') {
    throw messageInvalid(`${name} is an ${message.wireformat}, expected an mls_private_message`)
  }
  const pm = message.privateMessage
  const own = client.groupContext
  if (pm.groupId.length !== own.groupId.length || !timingSafeEqual(pm.groupId, own.groupId)) {
    throw wrongGroup(own.groupId, pm.groupId)
  }
  if (pm.contentType !== contentType) {
    const advice = pm.contentType === 'commit' ? ': pass it to processCommit()' : ''
    throw messageInvalid(
      `${name} carries a ${pm.contentType}, expected ${contentType === 'commit' ? 'a commit' : 'an application message'}${advice}`,
    )
  }
  const readable =
    pm.epoch === own.epoch || (contentType === 'application' && client.historicalReceiverData.has(pm.epoch))
  if (!readable)
    throw new GroupEpochMismatchError(contentType === 'commit' ? 'commit' : 'message', own.epoch, pm.epoch)
  return pm
}

/** @throws GroupError `GROUP_WELCOME_INVALID`, `GROUP_BAD_INPUT`. */
export function expectWelcome(bytes: unknown): Welcome {
  expectBytes('welcome', bytes)
  const message = parse(bytes)
  if (message === undefined) throw welcomeInvalid(`not an MLS message (${bytes.length} bytes)`)
  if (message.wireformat !== 'mls_welcome')
    throw welcomeInvalid(`an ${message.wireformat}, expected an mls_welcome`)
  return message.welcome
}

/** @throws GroupError `GROUP_KEY_PACKAGE_INVALID`, `GROUP_BAD_INPUT`. */
export function expectKeyPackage(bytes: unknown, index: number): KeyPackage {
  expectBytes(`publicKeyPackages[${index}]`, bytes)
  const message = parse(bytes)
  if (message === undefined) throw keyPackageInvalid(index, `not an MLS message (${bytes.length} bytes)`)
  if (message.wireformat !== 'mls_key_package') {
    throw keyPackageInvalid(index, `an ${message.wireformat}, expected an mls_key_package`)
  }
  return message.keyPackage
}
