import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { InvalidInputError } from '../core/errors.ts'
import { expectBytes } from './bytes.ts'
import type { NodeIdentity } from './identity.ts'
import { ed25519PrivateKeyObject, rawPublicKey, x25519PrivateKeyObject } from './native-keys.ts'

/**
 * The private side of a node identity: everything derived once from the 32-byte seed and
 * kept out of the public NodeIdentity object. Module internal; never exported by index.ts.
 */
export interface IdentityKeys {
  readonly seed: Uint8Array
  /** Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** SHA-512(seed)[0..32], clamped: the X25519 scalar of the same key. */
  readonly x25519Secret: Uint8Array
  readonly x25519PublicKey: Uint8Array
  readonly ed25519Private: KeyObject
  readonly x25519Private: KeyObject
  /** Unique per derivation: a cache key bound to this secret (never reused for another). */
  readonly serial: number
}

let serials = 0

/**
 * Derives all keys of an identity from its seed, natively.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT` when the seed is not 32 bytes.
 */
export function deriveKeys(seedInput: Uint8Array): IdentityKeys {
  const seed = Uint8Array.from(expectBytes('seed', seedInput, 32))
  const ed25519Private = ed25519PrivateKeyObject(seed)
  const publicKey = Uint8Array.from(rawPublicKey(createPublicKey(ed25519Private)))
  const x25519Secret = x25519SecretFromSeed(seed)
  const x25519Private = x25519PrivateKeyObject(x25519Secret)
  const x25519PublicKey = Uint8Array.from(rawPublicKey(createPublicKey(x25519Private)))
  return { seed, publicKey, x25519Secret, x25519PublicKey, ed25519Private, x25519Private, serial: ++serials }
}

/** SHA-512(seed)[0..32] clamped (RFC 7748), as noble's `ed25519.utils.toMontgomerySecret`. */
export function x25519SecretFromSeed(seed: Uint8Array): Uint8Array {
  const digest = createHash('sha512').update(seed).digest()
  const secret = Uint8Array.from(digest.subarray(0, 32))
  digest.fill(0)
  secret[0]! &= 248
  secret[31]! &= 127
  secret[31]! |= 64
  return secret
}

const registry = new WeakMap<NodeIdentity, IdentityKeys>()

/** Links an identity object to its derived keys (called by identity.ts). */
export function registerKeys(identity: NodeIdentity, keys: IdentityKeys): void {
  registry.set(identity, keys)
}

/**
 * The derived keys of an identity. An identity made by identityFromSeed is looked up; any
 * other object shaped like one is derived from its seed, once, and checked for consistency.
 * @throws InvalidInputError `CRYPTO_IDENTITY_MISMATCH` when its publicKey is not its seed's.
 */
export function keysOf(identity: NodeIdentity): IdentityKeys {
  const known = registry.get(identity)
  if (known !== undefined) return known
  const keys = deriveKeys(identity.seed)
  if (
    !Buffer.from(keys.publicKey).equals(
      Buffer.from(expectBytes('identity.publicKey', identity.publicKey, 32)),
    )
  ) {
    throw new InvalidInputError(
      'CRYPTO_IDENTITY_MISMATCH',
      'identity.publicKey is not the public key of identity.seed',
      { hint: 'build identities with identityFromSeed() or generateIdentity()' },
    )
  }
  registry.set(identity, keys)
  return keys
}
