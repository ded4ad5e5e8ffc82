import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { asBuffer } from './bytes.ts'

/**
 * node:crypto KeyObjects built from raw 32-byte keys through fixed DER prefixes (PKCS8 for
 * private keys, SPKI for public keys): cheaper than JWK, and valid on every Node ≥ 22.
 * Callers check lengths; these helpers only wrap.
 *
 * Public keys go in as a PEM *string* (the same SPKI DER, base64-armoured). Node's key
 * parsing first asks whether its argument is a KeyObject, then a CryptoKey, each by a
 * try/catch around a brand check: an options object or a Buffer makes both throw, which
 * costs ~28 µs per import on Node 24; a string skips both checks (~10 µs in all). The
 * same holds for secret keys, hence createSecretKey() before createCipheriv()/hkdfSync().
 */

const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex')
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex')

function privateKey(prefix: Buffer, secret: Uint8Array): KeyObject {
  // Buffer.alloc (not the shared pool) so the copy of the secret can be wiped.
  const der = Buffer.alloc(prefix.length + secret.length)
  prefix.copy(der, 0)
  der.set(secret, prefix.length)
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } finally {
    der.fill(0)
  }
}

function publicKey(prefix: Buffer, key: Uint8Array): KeyObject {
  const der = Buffer.allocUnsafe(prefix.length + key.length)
  prefix.copy(der, 0)
  der.set(key, prefix.length)
  return createPublicKey(`-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`)
}

/** Ed25519 private KeyObject from its 32-byte seed. */
export function ed25519PrivateKeyObject(seed: Uint8Array): KeyObject {
  return privateKey(ED25519_PKCS8, seed)
}

/** Ed25519 public KeyObject from its 32-byte encoding. */
export function ed25519PublicKeyObject(key: Uint8Array): KeyObject {
  return publicKey(ED25519_SPKI, key)
}

/** X25519 private KeyObject from a 32-byte scalar (clamped by X25519 itself). */
export function x25519PrivateKeyObject(secret: Uint8Array): KeyObject {
  return privateKey(X25519_PKCS8, secret)
}

/** X25519 public KeyObject from its 32-byte u-coordinate. */
export function x25519PublicKeyObject(key: Uint8Array): KeyObject {
  return publicKey(X25519_SPKI, key)
}

const RAW_EXPORT = supportsRawExport()

function supportsRawExport(): boolean {
  try {
    const der = Buffer.concat([X25519_SPKI, Buffer.alloc(32, 9)])
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' })
    return key.export({ format: 'raw-public' }).length === 32
  } catch {
    return false
  }
}

/**
 * The raw 32 bytes of an Ed25519 or X25519 public KeyObject. Uses the `raw-public` export of
 * newer Node (about 25× cheaper than DER), else the tail of the SPKI DER.
 */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const out = RAW_EXPORT ? key.export({ format: 'raw-public' }) : key.export({ format: 'der', type: 'spki' })
  const bytes = asBuffer(out)
  return new Uint8Array(bytes.buffer, bytes.byteOffset + bytes.length - 32, 32)
}
