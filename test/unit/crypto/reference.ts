/**
 * An independent sealed box v1, written from docs/wire.md with @noble primitives only (no
 * node:crypto, nothing from src/crypto), to cross-check the implementation and its vectors.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'

export interface ReferenceSteps {
  senderPublicKey: Uint8Array
  recipientPublicKey: Uint8Array
  recipientX25519PublicKey: Uint8Array
  ephemeralPublicKey: Uint8Array
  ss1: Uint8Array
  ss2: Uint8Array
  senderKeyNonce: Uint8Array
  contentKeyNonce: Uint8Array
  box: Uint8Array
}

/**
 * Seals per the spec. `senderPublicKeyOverride` puts another key in layer 1 (and in the
 * content KDF) — for crafting boxes that claim a sender the static exchange cannot use.
 */
export function referenceSeal(
  senderSeed: Uint8Array,
  recipientPublicKey: Uint8Array,
  ephemeralSecret: Uint8Array,
  plaintext: Uint8Array,
  senderPublicKeyOverride?: Uint8Array,
  ss2Override?: Uint8Array,
): ReferenceSteps {
  const senderPublicKey = senderPublicKeyOverride ?? ed25519.getPublicKey(senderSeed)
  const recipientX = ed25519.utils.toMontgomery(recipientPublicKey)
  const ephemeralPublicKey = x25519.getPublicKey(ephemeralSecret)
  const ss1 = x25519.getSharedSecret(ephemeralSecret, recipientX)
  const ss2 = ss2Override ?? x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(senderSeed), recipientX)
  const salt = concatBytes(ephemeralPublicKey, recipientX)
  const senderKeyNonce = hkdf(sha256, ss1, salt, utf8ToBytes('mainframe/sealed-box/v1/sender'), 56)
  const header0 = concatBytes(Uint8Array.of(1), ephemeralPublicKey)
  const layer1 = xchacha20poly1305(
    senderKeyNonce.subarray(0, 32),
    senderKeyNonce.subarray(32),
    header0,
  ).encrypt(senderPublicKey)
  const header = concatBytes(header0, layer1)
  const contentKeyNonce = hkdf(
    sha256,
    concatBytes(ss1, ss2),
    salt,
    concatBytes(utf8ToBytes('mainframe/sealed-box/v1/content'), senderPublicKey),
    56,
  )
  const content = xchacha20poly1305(
    contentKeyNonce.subarray(0, 32),
    contentKeyNonce.subarray(32),
    header,
  ).encrypt(plaintext)
  return {
    senderPublicKey,
    recipientPublicKey,
    recipientX25519PublicKey: recipientX,
    ephemeralPublicKey,
    ss1,
    ss2,
    senderKeyNonce,
    contentKeyNonce,
    box: concatBytes(header, content),
  }
}
