import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'

/**
 * XChaCha20-Poly1305 with node:crypto doing the bulk work: HChaCha20 (from @noble/ciphers;
 * Node has none) turns the key and the first 16 nonce bytes into a subkey, then native
 * ChaCha20-Poly1305 runs with the 12-byte nonce 0x00000000 ‖ nonce[16..24]. Output is
 * ciphertext ‖ 16-byte tag, byte for byte what noble's `xchacha20poly1305` gives.
 *
 * The subkey is handed to node:crypto as a secret KeyObject, not as bytes: with bytes Node
 * probes for a KeyObject by a throwing brand check, which made a 32-byte encryption cost
 * 21 µs instead of 7 (see native-keys.ts). With that, native beats noble from 32 bytes up.
 */

const TAG = 16

// hchacha takes native-endian word views of the byte strings.
const SIGMA = new Uint32Array(new TextEncoder().encode('expand 32-byte k').buffer)
// Scratch reused by every call (all synchronous): key ‖ nonce[0..16] ‖ subkey, wiped after use.
const WORDS = new Uint32Array(20)
const BYTES = new Uint8Array(WORDS.buffer)
const KEY = WORDS.subarray(0, 8)
const NONCE = WORDS.subarray(8, 12)
const SUBKEY = WORDS.subarray(12, 20)
const SUBKEY_BYTES = BYTES.subarray(48, 80)
const IV = Buffer.alloc(12)

/** The HChaCha20 subkey as a KeyObject (node:crypto copies it, so the scratch is wiped). */
function subkey(key: Uint8Array, nonce: Uint8Array): KeyObject {
  BYTES.set(key, 0)
  BYTES.set(nonce.subarray(0, 16), 32)
  hchacha(SIGMA, KEY, NONCE, SUBKEY)
  const sub = createSecretKey(SUBKEY_BYTES)
  WORDS.fill(0)
  return sub
}

/** The 12-byte ChaCha20-Poly1305 nonce 0x00000000 ‖ nonce[16..24]; node:crypto copies it. */
function iv(nonce: Uint8Array): Buffer {
  IV.set(nonce.subarray(16, 24), 4)
  return IV
}

/**
 * Encrypts `plaintext` into `out` (length plaintext.length + 16: ciphertext ‖ tag).
 * `key` is 32 bytes, `nonce` 24; the caller checks lengths.
 */
export function xchachaEncryptInto(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
): void {
  const cipher = createCipheriv('chacha20-poly1305', subkey(key, nonce), iv(nonce), { authTagLength: TAG })
  cipher.setAAD(aad, { plaintextLength: plaintext.length })
  out.set(cipher.update(plaintext), 0)
  cipher.final()
  out.set(cipher.getAuthTag(), plaintext.length)
}

/** Encrypts into a fresh Uint8Array: ciphertext ‖ tag. */
export function xchachaEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(plaintext.length + TAG)
  xchachaEncryptInto(key, nonce, aad, plaintext, out)
  return out
}

/**
 * Decrypts ciphertext ‖ tag.
 * @throws Error (from node:crypto or noble) when the tag does not verify or the input is
 *   shorter than a tag; callers turn it into their own error.
 */
export function xchachaDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  const length = sealed.length - TAG
  if (length < 0) throw new Error('ciphertext shorter than its tag')
  const decipher = createDecipheriv('chacha20-poly1305', subkey(key, nonce), iv(nonce), {
    authTagLength: TAG,
  })
  decipher.setAAD(aad, { plaintextLength: length })
  decipher.setAuthTag(sealed.subarray(length))
  const plain = decipher.update(sealed.subarray(0, length))
  try {
    decipher.final()
  } catch (err) {
    plain.fill(0) // never hand out unauthenticated plaintext
    throw err
  }
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
}
