import { InvalidInputError } from '../core/errors.ts'
import type { IdentityKeys } from './keys.ts'
import { nativeBackend } from './native.ts'
import { nobleBackend } from './noble.ts'
import type { PeerKey } from './peer.ts'

/** Which implementation runs the primitives of a sealed box. Both give identical bytes. */
export type BackendName = 'native' | 'noble'

/**
 * The primitives a sealed box needs. Exchanges return null instead of an all-zero secret
 * (a low-order point): the caller knows which key was to blame and says so.
 */
export interface SealBackend {
  readonly name: BackendName
  /** A fresh ephemeral X25519 key pair (or the one of `secret`) and its exchange with the peer. */
  ephemeral(peer: PeerKey, secret?: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array | null }
  /** X25519(own static secret, publicKey) — the recipient's side of the ephemeral exchange. */
  exchange(own: IdentityKeys, publicKey: Uint8Array): Uint8Array | null
  /** X25519(own static secret, peer static public). May be cached: callers must not modify it. */
  staticExchange(own: IdentityKeys, peer: PeerKey): Uint8Array | null
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /** XChaCha20-Poly1305 of `plaintext` into `out` (ciphertext ‖ tag, length + 16). */
  encryptInto(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
  ): void
  /** Throws (any Error) when authentication fails. */
  decrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array
}

/**
 * The backend of that name; native when none is given.
 * @throws InvalidInputError `CRYPTO_UNKNOWN_BACKEND`.
 */
export function backend(name: BackendName | undefined): SealBackend {
  if (name === undefined || name === 'native') return nativeBackend
  if (name === 'noble') return nobleBackend
  throw new InvalidInputError('CRYPTO_UNKNOWN_BACKEND', `unknown crypto backend "${String(name)}"`, {
    hint: "use 'native' (default) or 'noble'",
  })
}
