import {
  createPublicKey,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto'
import type { SealBackend } from './backend.ts'
import { asUint8Array, isAllZero } from './bytes.ts'
import type { IdentityKeys } from './keys.ts'
import { Lru } from './lru.ts'
import { rawPublicKey, x25519PrivateKeyObject, x25519PublicKeyObject } from './native-keys.ts'
import type { PeerKey } from './peer.ts'
import { xchachaDecrypt, xchachaEncryptInto } from './xchacha.ts'

/**
 * The node:crypto backend: X25519 and HKDF in OpenSSL, XChaCha20-Poly1305 through xchacha.ts.
 *
 * The static–static secret of a (own key, peer key) pair never changes, so it is kept in a
 * bounded LRU (STATIC_CACHE_SIZE entries, secrets held in process memory only): a second
 * box between the same two nodes costs one X25519 per side, not two.
 */

export const STATIC_CACHE_SIZE = 1024
const statics = new Lru<string, Uint8Array>(STATIC_CACHE_SIZE)

function dh(privateKey: KeyObject, publicKey: KeyObject): Uint8Array | null {
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey, publicKey })
  } catch {
    return null // OpenSSL refuses low-order points (all-zero output)
  }
  return isAllZero(shared) ? null : asUint8Array(shared)
}

function peerKeyObject(peer: PeerKey): KeyObject {
  peer.x25519KeyObject ??= x25519PublicKeyObject(peer.x25519PublicKey)
  return peer.x25519KeyObject
}

export const nativeBackend: SealBackend = {
  name: 'native',

  ephemeral(peer, secret) {
    let privateKey: KeyObject
    let publicKey: KeyObject
    if (secret === undefined) {
      ;({ privateKey, publicKey } = generateKeyPairSync('x25519'))
    } else {
      privateKey = x25519PrivateKeyObject(secret)
      publicKey = createPublicKey(privateKey)
    }
    return { publicKey: rawPublicKey(publicKey), shared: dh(privateKey, peerKeyObject(peer)) }
  },

  exchange(own, publicKey) {
    return dh(own.x25519Private, x25519PublicKeyObject(publicKey))
  },

  staticExchange(own: IdentityKeys, peer: PeerKey) {
    const id = `${own.serial}:${peer.serial}`
    const cached = statics.get(id)
    if (cached !== undefined) return cached
    const shared = dh(own.x25519Private, peerKeyObject(peer))
    if (shared !== null) statics.set(id, shared)
    return shared
  },

  hkdf(ikm, salt, info, length) {
    // A secret KeyObject, not bytes: see native-keys.ts for why that is ~5 µs cheaper.
    return new Uint8Array(hkdfSync('sha256', createSecretKey(ikm), salt, info, length))
  },

  encryptInto: xchachaEncryptInto,
  decrypt: xchachaDecrypt,
}

/** Test seam: forget every cached static–static secret. */
export function clearStaticCache(): void {
  statics.clear()
}
