import { type GroupState, readState } from './handles.ts'
import { roster } from './roster.ts'

/**
 * The MLS group layer (RFC 9420, ciphersuite 3: X25519, ChaCha20-Poly1305, SHA-256,
 * Ed25519) behind a wrapper that keeps ts-mls types out of the rest of the bridge. The only
 * module the node imports from src/node/groups.
 *
 * A member is its node identity: its credential is its 32-byte Ed25519 public key, which
 * also signs for it. Group states are opaque, immutable handles; every operation that moves
 * a group on returns the next state, and the one passed in is spent (using it again answers
 * GROUP_STATE_STALE), so calls on one group must be made one after another. Commits apply
 * strictly in epoch order, one per epoch, as the group's orderer sequences them.
 *
 * Every error is a GroupError (a BridgeError, `retryable: false`) with a GROUP_* code; bytes
 * from the network never make anything else escape.
 *
 * @example
 *   const alice = await createGroup(randomBytes(32), aliceIdentity)
 *   const bob = await createKeyPackage(bobIdentity)             // bob → orderer: bob.publicPackage
 *   const added = await addMembers(alice, [bob.publicPackage])  // → orderer: added.commit, added.welcome
 *   let bobState = await joinFromWelcome(added.welcome, bob.privatePackage)
 *   const sent = await encryptMessage(added.state, text)
 *   const got = await decryptMessage(bobState, sent.ciphertext) // got.plaintext, got.senderPublicKey
 */

export {
  deserializeGroup,
  deserializePrivatePackage,
  serializeGroup,
  serializePrivatePackage,
} from './codec.ts'
export {
  addMembers,
  type CommitOutcome,
  type Committed,
  type CommittedWithWelcome,
  processCommit,
  removeMembers,
  updateKeys,
} from './commits.ts'
export { GroupEpochMismatchError, GroupError, type GroupErrorCode } from './errors.ts'
export type { GroupState, PrivateKeyPackage } from './handles.ts'
export { createGroup, joinFromWelcome } from './join.ts'
export {
  createKeyPackage,
  DEFAULT_KEY_PACKAGE_LIFETIME_SECONDS,
  type KeyPackageOptions,
  type KeyPackagePair,
  keyPackageMember,
} from './key-packages.ts'
export { type Decrypted, decryptMessage, type Encrypted, encryptMessage } from './messages.ts'

/**
 * The state's epoch: 0 at creation, one more per applied commit.
 * @throws GroupError `GROUP_BAD_INPUT` when `state` is not a GroupState.
 */
export function epoch(state: GroupState): bigint {
  return readState(state).groupContext.epoch
}

/**
 * The members' Ed25519 public keys (32 bytes each), in leaf order; ours included.
 * @throws GroupError `GROUP_BAD_INPUT` when `state` is not a GroupState.
 */
export function members(state: GroupState): Uint8Array[] {
  return roster(readState(state)).map((member) => Uint8Array.from(member.publicKey))
}

/**
 * The group's 32-byte id (a copy).
 * @throws GroupError `GROUP_BAD_INPUT` when `state` is not a GroupState.
 */
export function groupId(state: GroupState): Uint8Array {
  return Uint8Array.from(readState(state).groupContext.groupId)
}
