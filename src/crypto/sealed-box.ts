import { InvalidInputError } from '../core/errors.ts'
import { type BackendName, backend } from './backend.ts'
import { concatBytes, expectBytes } from './bytes.ts'
import { LowOrderKeyError, SealedBoxAuthError, SealedBoxMalformedError } from './errors.ts'
import type { NodeIdentity } from './identity.ts'
import { keysOf } from './keys.ts'
import { type PeerKey, peerIdOf, peerKey, publicKeyFromPeerId, tryPeerKey } from './peer.ts'

/**
 * Sealed box v1: a message to one node whose sender only the recipient learns, with no
 * signature a third party could check (the recipient could have made the box itself).
 * Wire layout, KDF inputs and test vectors: docs/wire.md, "Sealed box (v1)".
 *
 *   0x01 ‖ e_pub (32) ‖ layer 1 (32 + 16: the sender's Ed25519 key) ‖ content (n + 16)
 */

export const SEALED_BOX_VERSION = 0x01
/** Bytes a sealed box adds to its plaintext: version 1 + ephemeral 32 + layer 1 48 + tag 16. */
export const SEALED_BOX_OVERHEAD = 97

const EPH = 1
const LAYER1 = EPH + 32
const HEADER = LAYER1 + 48
const encoder = new TextEncoder()
const INFO_SENDER = encoder.encode('mainframe/sealed-box/v1/sender')
const INFO_CONTENT = encoder.encode('mainframe/sealed-box/v1/content')

/** Options of seal(). */
export interface SealOptions {
  /** A fixed ephemeral X25519 secret, for test vectors only: reusing one breaks secrecy. */
  ephemeralSecret?: Uint8Array
  /** 'native' (default) or 'noble'; both produce identical bytes. */
  backend?: BackendName
}

/** What open() returns: the message and who sealed it. */
export interface Opened {
  /** The sender's Ed25519 public key (authenticated: only it, or the recipient, could seal). */
  senderPublicKey: Uint8Array
  /** The sender's libp2p peer id. */
  senderPeerId: string
  plaintext: Uint8Array
}

/**
 * Seals `plaintext` from `sender` to the node whose Ed25519 public key (32 bytes) or peer
 * id is `recipientPublicKey`. Output length is plaintext.length + SEALED_BOX_OVERHEAD.
 * Costs two X25519 (one ephemeral key generation, one exchange) the first time a pair of
 * nodes talks, then one of each: the static–static secret is cached.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT` (wrong types or lengths), `PEER_ID_INVALID` /
 *   `PEER_ID_NOT_ED25519`, `CRYPTO_INVALID_PUBLIC_KEY` (not a curve point, or small order),
 *   `CRYPTO_LOW_ORDER_KEY` (an exchange would give the all-zero secret),
 *   `CRYPTO_IDENTITY_MISMATCH` (a hand-made sender object), `CRYPTO_UNKNOWN_BACKEND`.
 * @example
 *   const box = seal(me, peerPublicKey, new TextEncoder().encode('hi'))
 */
export function seal(
  sender: NodeIdentity,
  recipientPublicKey: Uint8Array | string,
  plaintext: Uint8Array,
  options: SealOptions = {},
): Uint8Array {
  expectBytes('plaintext', plaintext)
  const impl = backend(options.backend)
  const own = keysOf(sender)
  const recipient = resolveRecipient(recipientPublicKey)
  if (options.ephemeralSecret !== undefined) expectBytes('ephemeralSecret', options.ephemeralSecret, 32)

  const ephemeral = impl.ephemeral(recipient, options.ephemeralSecret)
  if (ephemeral.shared === null) throw new LowOrderKeyError('the ephemeral or recipient key')
  const ss1 = ephemeral.shared
  const ss2 = impl.staticExchange(own, recipient)
  if (ss2 === null) throw new LowOrderKeyError('the recipient X25519 key')

  // Every byte is written below, so skip the zero fill; 'Slow' = an ArrayBuffer of its own,
  // never a slice of Node's shared pool (box.buffer must not expose other allocations).
  const box = new Uint8Array(Buffer.allocUnsafeSlow(SEALED_BOX_OVERHEAD + plaintext.length).buffer)
  box[0] = SEALED_BOX_VERSION
  box.set(ephemeral.publicKey, EPH)
  const salt = concatBytes(ephemeral.publicKey, recipient.x25519PublicKey)
  const k1 = impl.hkdf(ss1, salt, INFO_SENDER, 56)
  impl.encryptInto(
    k1.subarray(0, 32),
    k1.subarray(32),
    box.subarray(0, LAYER1),
    own.publicKey,
    box.subarray(LAYER1, HEADER),
  )
  const ikm = concatBytes(ss1, ss2)
  const k2 = impl.hkdf(ikm, salt, concatBytes(INFO_CONTENT, own.publicKey), 56)
  impl.encryptInto(
    k2.subarray(0, 32),
    k2.subarray(32),
    box.subarray(0, HEADER),
    plaintext,
    box.subarray(HEADER),
  )
  wipe(ss1, ikm, k1, k2)
  return box
}

/**
 * Opens a box sealed for `recipient`: returns the plaintext and who sealed it.
 * @throws InvalidInputError `SEALED_BOX_MALFORMED` (too short, unknown version, or a
 *   low-order ephemeral key) or `SEALED_BOX_AUTH_FAILED` (altered, or sealed for another
 *   node); both status 400, neither carries key material or plaintext. Also
 *   `CRYPTO_BAD_INPUT` (box not a Uint8Array), `CRYPTO_IDENTITY_MISMATCH`,
 *   `CRYPTO_UNKNOWN_BACKEND`.
 */
export function open(
  recipient: NodeIdentity,
  box: Uint8Array,
  options: { backend?: BackendName } = {},
): Opened {
  expectBytes('box', box)
  const impl = backend(options.backend)
  if (box.length > 0 && box[0] !== SEALED_BOX_VERSION) {
    throw new SealedBoxMalformedError(
      `unknown sealed box version 0x${box[0]!.toString(16).padStart(2, '0')}: this build reads version 0x01`,
    )
  }
  if (box.length < SEALED_BOX_OVERHEAD) {
    throw new SealedBoxMalformedError(
      `sealed box too short: expected at least ${SEALED_BOX_OVERHEAD} bytes, got length=${box.length}`,
    )
  }
  const own = keysOf(recipient)
  const ephemeralPublic = box.subarray(EPH, LAYER1)
  const ss1 = impl.exchange(own, ephemeralPublic)
  if (ss1 === null) throw new SealedBoxMalformedError('sealed box ephemeral key is a low-order X25519 point')

  const salt = concatBytes(ephemeralPublic, own.x25519PublicKey)
  const k1 = impl.hkdf(ss1, salt, INFO_SENDER, 56)
  const senderPublicKey = decryptOrFail(() =>
    impl.decrypt(k1.subarray(0, 32), k1.subarray(32), box.subarray(0, LAYER1), box.subarray(LAYER1, HEADER)),
  )
  const sender = tryPeerKey(senderPublicKey)
  if (sender === null)
    throw new SealedBoxAuthError('sealed box failed authentication: its sender key is not usable')
  const ss2 = impl.staticExchange(own, sender)
  if (ss2 === null)
    throw new SealedBoxAuthError('sealed box failed authentication: its sender key is not usable')

  const ikm = concatBytes(ss1, ss2)
  const k2 = impl.hkdf(ikm, salt, concatBytes(INFO_CONTENT, senderPublicKey), 56)
  const plaintext = decryptOrFail(() =>
    impl.decrypt(k2.subarray(0, 32), k2.subarray(32), box.subarray(0, HEADER), box.subarray(HEADER)),
  )
  wipe(ss1, ikm, k1, k2)
  return { senderPublicKey, senderPeerId: peerIdOf(sender), plaintext }
}

function resolveRecipient(recipient: Uint8Array | string): PeerKey {
  if (typeof recipient === 'string') return peerKey(publicKeyFromPeerId(recipient), 'recipient')
  if (!(recipient instanceof Uint8Array)) {
    throw new InvalidInputError('CRYPTO_BAD_INPUT', 'recipient: expected an Ed25519 public key or a peer id')
  }
  return peerKey(recipient, 'recipientPublicKey')
}

function decryptOrFail(decrypt: () => Uint8Array): Uint8Array {
  try {
    return decrypt()
  } catch (cause) {
    throw new SealedBoxAuthError(undefined, { cause })
  }
}

function wipe(...buffers: Uint8Array[]): void {
  for (const buffer of buffers) buffer.fill(0)
}
