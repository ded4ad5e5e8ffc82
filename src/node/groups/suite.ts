import { timingSafeEqual } from 'node:crypto'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type Capabilities,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientConfig,
  type Credential,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from 'ts-mls'
import { identityFromSeed, type NodeIdentity, verifySignature } from '../../crypto/index.ts'

/**
 * The one MLS ciphersuite of the bridge (id 3) and the client policy every group state runs
 * with. Internal to src/node/groups: nothing here is part of the wrapper's API.
 */

export const SUITE_NAME: CiphersuiteName = 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519'

/** What our key packages advertise: only this suite, only basic credentials. */
export const CAPABILITIES: Capabilities = {
  versions: ['mls10'],
  ciphersuites: [SUITE_NAME],
  extensions: [],
  proposals: [],
  credentials: ['basic'],
}

/**
 * A credential is valid only when it names the very key that signs for the member: a basic
 * credential whose identity is the 32-byte Ed25519 signature key. So a member's credential
 * is its node identity, and no member can claim another node's key.
 */
export function credentialMatchesKey(credential: Credential, signaturePublicKey: Uint8Array): boolean {
  return (
    credential.credentialType === 'basic' &&
    credential.identity.length === 32 &&
    signaturePublicKey.length === 32 &&
    timingSafeEqual(credential.identity, signaturePublicKey)
  )
}

export const CLIENT_CONFIG: ClientConfig = {
  keyRetentionConfig: defaultKeyRetentionConfig,
  lifetimeConfig: defaultLifetimeConfig,
  keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
  paddingConfig: defaultPaddingConfig,
  authService: {
    validateCredential: async (credential, signaturePublicKey) =>
      credentialMatchesKey(credential, signaturePublicKey),
  },
}

let pending: Promise<CiphersuiteImpl> | undefined

/**
 * The suite implementation, built once. HPKE (X25519, ChaCha20-Poly1305) stays ts-mls's own;
 * signatures, hashes and the KDF are replaced because they dominate the cost of every
 * application message: the defaults import a WebCrypto key for each signature and each
 * HMAC, ours sign natively with a key built once per state and hash in-process, which takes
 * an encrypt + decrypt from about 2.6 ms to 1.7 ms on a loaded 2-CPU machine.
 */
export function suite(): Promise<CiphersuiteImpl> {
  pending ??= build()
  return pending
}

async function build(): Promise<CiphersuiteImpl> {
  const base = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE_NAME))
  const signers = new WeakMap<Uint8Array, NodeIdentity>()
  return {
    ...base,
    signature: {
      keygen: () => base.signature.keygen(),
      // The sign key is the node's 32-byte seed; the identity (and its native key) is built
      // once per seed array, which lives as long as the group state holding it.
      async sign(signKey, message) {
        let signer = signers.get(signKey)
        if (signer === undefined) {
          signer = identityFromSeed(signKey)
          signers.set(signKey, signer)
        }
        return signer.sign(message)
      },
      // verifySignature throws on a key of the wrong length; from the wire that is just invalid.
      async verify(publicKey, message, signature) {
        return publicKey.length === 32 && verifySignature(publicKey, message, signature)
      },
    },
    hash: {
      digest: async (data) => sha256(data),
      mac: async (key, data) => hmac(sha256, key, data),
      async verifyMac(key, mac, data) {
        const expected = hmac(sha256, key, data)
        return mac.length === expected.length && timingSafeEqual(mac, expected)
      },
    },
    kdf: {
      size: 32,
      extract: async (salt, ikm) => hmac(sha256, salt, ikm),
      expand: async (prk, info, length) => hkdfExpand(prk, info, length),
    },
  }
}

/** HKDF-Expand with SHA-256 (RFC 5869, section 2.3). */
function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * 32) throw new RangeError(`HKDF-Expand: length ${length} exceeds 8160`)
  const out = new Uint8Array(length)
  let block = new Uint8Array(0)
  for (let counter = 1, offset = 0; offset < length; counter++, offset += 32) {
    const mac = hmac.create(sha256, prk)
    mac.update(block)
    mac.update(info)
    mac.update(Uint8Array.of(counter))
    block = mac.digest()
    out.set(block.subarray(0, Math.min(32, length - offset)), offset)
  }
  return out
}
