import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { SealBackend } from './backend.ts'
import { isAllZero } from './bytes.ts'

/**
 * The pure-JS backend: every primitive from @noble, nothing cached, nothing native — the
 * reference the native backend is checked against, and a fallback where node:crypto lacks
 * an algorithm. Roughly 30× slower for the X25519 parts.
 */

function dh(secret: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(secret, publicKey) // throws on low-order points
  } catch {
    return null
  }
  return isAllZero(shared) ? null : shared
}

export const nobleBackend: SealBackend = {
  name: 'noble',

  ephemeral(peer, secret) {
    const ephemeral = secret ?? x25519.utils.randomSecretKey()
    const shared = dh(ephemeral, ed25519.utils.toMontgomery(peer.publicKey))
    return { publicKey: x25519.getPublicKey(ephemeral), shared }
  },

  exchange(own, publicKey) {
    return dh(ed25519.utils.toMontgomerySecret(own.seed), publicKey)
  },

  staticExchange(own, peer) {
    return dh(ed25519.utils.toMontgomerySecret(own.seed), ed25519.utils.toMontgomery(peer.publicKey))
  },

  hkdf(ikm, salt, info, length) {
    return hkdf(sha256, ikm, salt, info, length)
  },

  encryptInto(key, nonce, aad, plaintext, out) {
    xchacha20poly1305(key, nonce, aad).encrypt(plaintext, out)
  },

  decrypt(key, nonce, aad, sealed) {
    return xchacha20poly1305(key, nonce, aad).decrypt(sealed)
  },
}
