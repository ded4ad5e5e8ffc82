import { generateKeyPackageWithKey, type KeyPackage } from 'ts-mls'
import { verifyKeyPackage } from 'ts-mls/keyPackage.js'
import { identityFromSeed, type NodeIdentity } from '../../crypto/index.ts'
import { badInput, keyPackageInvalid } from './errors.ts'
import { type PrivateKeyPackage, wrapPackage } from './handles.ts'
import { CAPABILITIES, credentialMatchesKey, SUITE_NAME, suite } from './suite.ts'
import { encodeKeyPackage, expectKeyPackage } from './wire.ts'

/**
 * Key packages: how a node offers itself to a group. The credential is the node's own
 * Ed25519 public key and the MLS signature key is the node's identity key, so a member's
 * place in a group is bound to its peer id and nothing else.
 */

const DAY = 24 * 60 * 60
/** Default validity of a key package: long enough to sit at an orderer, short enough to rotate. */
export const DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS = 30 * DAY
/** Tolerated clock skew between the member that makes a package and the one that adds it. */
const SKEW_SECONDS = 60 * 60

export interface KeyPackagePair {
  /** MLSMessage bytes (mls_key_package) to send to the group's orderer; public. */
  publicPackage: Uint8Array
  /** Kept by this node until the welcome arrives; see serializePrivatePackage(). */
  privatePackage: PrivateKeyPackage
}

export interface KeyPackageOptions {
  /** Seconds the package stays addable, from now (default 30 days). */
  lifetimeSeconds?: number
}

/**
 * A fresh key package for `identity`. Each package is for one group join: make a new one
 * per invitation (its HPKE keys are one-time).
 * @throws GroupError `GROUP_BAD_INPUT` when `identity` is not a NodeIdentity (or its public
 *   key does not match its seed) or `lifetimeSeconds` is not a positive integer.
 * @example
 *   const { publicPackage, privatePackage } = await createKeyPackage(me)
 */
export async function createKeyPackage(
  identity: NodeIdentity,
  options: KeyPackageOptions = {},
): Promise<KeyPackagePair> {
  checkIdentity(identity)
  const lifetime = options.lifetimeSeconds ?? DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0) {
    throw badInput(`lifetimeSeconds: expected a positive integer, got ${lifetime}`)
  }
  const now = BigInt(Math.floor(Date.now() / 1000))
  const publicKey = Uint8Array.from(identity.publicKey)
  // A copy: the group state keeps it as its signing key, and must not share the identity's array.
  const signKey = Uint8Array.from(identity.seed)
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    { credentialType: 'basic', identity: publicKey },
    CAPABILITIES,
    { notBefore: now - BigInt(SKEW_SECONDS), notAfter: now + BigInt(lifetime) },
    [],
    { signKey, publicKey },
    await suite(),
  )
  return {
    publicPackage: encodeKeyPackage(publicPackage),
    privatePackage: wrapPackage({ identity, publicPackage, privateKeys: privatePackage }),
  }
}

/**
 * The member a public key package would add: its 32-byte Ed25519 public key, once the
 * package's framing, suite, credential and signature are checked. For an orderer deciding
 * whom to admit before anyone commits.
 * @throws GroupError `GROUP_KEY_PACKAGE_INVALID` (with why), `GROUP_BAD_INPUT`.
 */
export async function keyPackageMember(publicPackage: Uint8Array): Promise<Uint8Array> {
  return Uint8Array.from((await parseKeyPackage(publicPackage, 0)).leafNode.signaturePublicKey)
}

/**
 * The key package in `bytes`, checked against the bridge's policy: our suite, a credential
 * naming its own signature key, a valid signature. (Lifetime and uniqueness in the group are
 * checked by ts-mls when the commit is built.)
 * @throws GroupError `GROUP_KEY_PACKAGE_INVALID`, `GROUP_BAD_INPUT`.
 */
export async function parseKeyPackage(bytes: unknown, index: number): Promise<KeyPackage> {
  const keyPackage = expectKeyPackage(bytes, index)
  if (keyPackage.cipherSuite !== SUITE_NAME) {
    throw keyPackageInvalid(index, `ciphersuite ${keyPackage.cipherSuite}, this bridge uses ${SUITE_NAME}`)
  }
  const leaf = keyPackage.leafNode
  if (!credentialMatchesKey(leaf.credential, leaf.signaturePublicKey)) {
    throw keyPackageInvalid(index, 'its credential is not the 32-byte Ed25519 key that signs it')
  }
  let valid = false
  try {
    valid = await verifyKeyPackage(keyPackage, (await suite()).signature)
  } catch (cause) {
    throw keyPackageInvalid(index, 'its signature cannot be checked', cause)
  }
  if (!valid) throw keyPackageInvalid(index, 'bad signature (altered, or not made by its member)')
  return keyPackage
}

/**
 * Asserts `identity` is a NodeIdentity whose public key is the one of its seed, so the
 * credential we publish is the key we sign with.
 * @throws GroupError `GROUP_BAD_INPUT`.
 */
export function checkIdentity(identity: NodeIdentity): void {
  const seed: unknown = identity?.seed
  const publicKey: unknown = identity?.publicKey
  if (!(seed instanceof Uint8Array) || seed.length !== 32 || !(publicKey instanceof Uint8Array)) {
    throw badInput('identity: expected a NodeIdentity (from generateIdentity() or a key file)')
  }
  if (!Buffer.from(identityFromSeed(seed).publicKey).equals(publicKey)) {
    throw badInput('identity: its public key does not match its seed')
  }
}
