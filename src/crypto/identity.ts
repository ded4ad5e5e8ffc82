import { type KeyObject, sign as nativeSign, verify as nativeVerify, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { asBuffer, asUint8Array, expectBytes, toHex } from './bytes.ts'
import { deriveKeys, registerKeys } from './keys.ts'
import { Lru } from './lru.ts'
import { ed25519PublicKeyObject } from './native-keys.ts'
import { peerIdOf, peerKey } from './peer.ts'

export { publicKeyFromPeerId, x25519PublicKeyFromEd25519 } from './peer.ts'

/**
 * A node's identity: one Ed25519 key. Its libp2p peer id names the node; its X25519 key,
 * derived from the same seed, is what sealed boxes are encrypted to, so a peer id alone is
 * enough to write to a node.
 *
 * The seed is not enumerable and `toJSON` / `util.inspect` show the peer id only, so an
 * identity that reaches a log does not leak its secret.
 */
export interface NodeIdentity {
  /** 32 bytes, secret. */
  readonly seed: Uint8Array
  /** Ed25519, 32 bytes. */
  readonly publicKey: Uint8Array
  /** libp2p peer id (base58btc, 12D3Koo…). */
  readonly peerId: string
  /** 32 bytes: the Montgomery form of publicKey. */
  readonly x25519PublicKey: Uint8Array
  /** An Ed25519 signature (64 bytes) of `data`, made natively. Throws only on a non-Uint8Array. */
  sign(data: Uint8Array): Uint8Array
}

/** A fresh identity from 32 random bytes of the OS CSPRNG. Does not throw. */
export function generateIdentity(): NodeIdentity {
  const seed = randomBytes(32)
  try {
    return identityFromSeed(seed)
  } finally {
    seed.fill(0)
  }
}

/**
 * The identity of a 32-byte Ed25519 seed (the seed is copied).
 * @throws InvalidInputError `CRYPTO_BAD_INPUT`: "seed: expected Uint8Array of length 32, got length=31".
 * @example
 *   const id = identityFromSeed(seed); id.peerId // '12D3KooW…'
 */
export function identityFromSeed(seed: Uint8Array): NodeIdentity {
  const keys = deriveKeys(seed)
  const peerId = peerIdOf(peerKey(keys.publicKey))
  const privateKey = keys.ed25519Private
  const identity = {} as NodeIdentity
  const describe = () => ({ peerId })
  Object.defineProperties(identity, {
    seed: { value: Uint8Array.from(keys.seed), enumerable: false },
    publicKey: { value: Uint8Array.from(keys.publicKey), enumerable: true },
    peerId: { value: peerId, enumerable: true },
    x25519PublicKey: { value: Uint8Array.from(keys.x25519PublicKey), enumerable: true },
    sign: { value: (data: Uint8Array) => signWith(privateKey, data), enumerable: false },
    toJSON: { value: describe, enumerable: false },
    [inspect.custom]: { value: () => `NodeIdentity { peerId: '${peerId}' }`, enumerable: false },
  })
  Object.freeze(identity)
  registerKeys(identity, keys)
  return identity
}

function signWith(privateKey: KeyObject, data: Uint8Array): Uint8Array {
  expectBytes('data', data)
  return asUint8Array(nativeSign(null, data, privateKey))
}

const verifyKeys = new Lru<string, KeyObject>(1024)

/**
 * Whether `signature` is a valid Ed25519 signature of `data` by `publicKey` (checked
 * natively). A signature of the wrong length, or a key that is not a curve point, is simply
 * not valid: false.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT` when publicKey is not 32 bytes or data is not a Uint8Array.
 */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  expectBytes('publicKey', publicKey, 32)
  expectBytes('data', data)
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false
  const hex = toHex(publicKey)
  let key = verifyKeys.get(hex)
  try {
    if (key === undefined) {
      key = ed25519PublicKeyObject(publicKey)
      verifyKeys.set(hex, key)
    }
    return nativeVerify(null, data, key, asBuffer(signature))
  } catch {
    return false
  }
}
