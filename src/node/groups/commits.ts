import { timingSafeEqual } from 'node:crypto'
import {
  type ClientState,
  createCommit,
  emptyPskIndex,
  encodeMlsMessage,
  type IncomingMessageCallback,
  joinGroup,
  createGroup as mlsCreateGroup,
  type Proposal,
  processPrivateMessage,
  type Welcome,
  zeroOutUint8Array,
} from 'ts-mls'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import { BridgeError } from '../../core/errors.ts'
import type { NodeIdentity } from '../../crypto/index.ts'
import {
  alreadyMember,
  badInput,
  commitUnsupported,
  type GroupError,
  keyPackageInvalid,
  messageInvalid,
  notMember,
  operationFailed,
  shortHex,
  stateStale,
  welcomeInvalid,
  welcomeNotForUs,
} from './errors.ts'
import {
  claimState,
  type GroupState,
  isStale,
  type PrivateKeyPackage,
  readPackage,
  readState,
  releaseState,
  wrapState,
} from './handles.ts'
import { createKeyPackage, parseKeyPackage } from './key-packages.ts'
import { leafIndexOf, ownKey, roster } from './roster.ts'
import { CLIENT_CONFIG, SUITE_NAME, suite } from './suite.ts'
import { encodeWelcome, expectPrivate, expectWelcome } from './wire.ts'

/**
 * Membership changes: making a group, committing adds, removes and key updates, applying
 * others' commits in epoch order, and joining from a welcome.
 *
 * Commits are MLS private messages: an orderer can read their group id and epoch (to keep
 * one commit per epoch) but not who is added or removed. A committer's returned state is
 * the next epoch; adopt it once the orderer has accepted the commit. Until then the state
 * passed in stays usable, so a commit that lost the race can be dropped.
 */

/** What a commit of ours produced. */
export interface Committed {
  /** Our state at the next epoch. */
  state: GroupState
  /** MLSMessage bytes for the orderer, to be processed by every other member. */
  commit: Uint8Array
}

/** What addMembers produced: also the welcome for the new members. */
export interface CommittedWithWelcome extends Committed {
  /** MLSMessage bytes (mls_welcome, ratchet tree included) for every added member. */
  welcome: Uint8Array
}

/** Result of processCommit: still a member at the next epoch, or removed by this commit. */
export type CommitOutcome =
  | { kind: 'member'; state: GroupState }
  | { kind: 'removed'; groupId: Uint8Array; epoch: bigint }

/**
 * A new group at epoch 0 whose only member is `creator`.
 * @throws GroupError `GROUP_BAD_INPUT` (groupId not 32 bytes, not a NodeIdentity).
 */
export async function createGroup(groupId: Uint8Array, creator: NodeIdentity): Promise<GroupState> {
  if (!(groupId instanceof Uint8Array) || groupId.length !== 32) {
    throw badInput(`groupId: expected 32 random bytes, got ${describe(groupId)}`)
  }
  const own = readPackage((await createKeyPackage(creator)).privatePackage)
  const client = await mlsCreateGroup(
    Uint8Array.from(groupId),
    own.publicPackage,
    own.privateKeys,
    [],
    await suite(),
    CLIENT_CONFIG,
  )
  return wrapState(client)
}

/**
 * Commits adding every member of `publicKeyPackages` (bytes from createKeyPackage) at once:
 * one commit and one welcome whatever their number.
 * @throws GroupError `GROUP_KEY_PACKAGE_INVALID` (naming which package and why),
 *   `GROUP_ALREADY_MEMBER`, `GROUP_STATE_STALE`, `GROUP_BAD_INPUT` (empty list),
 *   `GROUP_OPERATION_FAILED`.
 */
export async function addMembers(
  state: GroupState,
  publicKeyPackages: readonly Uint8Array[],
): Promise<CommittedWithWelcome> {
  const client = usable(state)
  if (!Array.isArray(publicKeyPackages) || publicKeyPackages.length === 0) {
    throw badInput('publicKeyPackages: expected at least one key package')
  }
  const now = BigInt(Math.floor(Date.now() / 1000))
  const seen = new Set(roster(client).map((member) => Buffer.from(member.publicKey).toString('hex')))
  const proposals: Proposal[] = []
  for (const [index, bytes] of publicKeyPackages.entries()) {
    const keyPackage = await parseKeyPackage(bytes, index)
    const { lifetime, signaturePublicKey } = keyPackage.leafNode
    if (lifetime.notBefore > now || lifetime.notAfter < now) {
      throw keyPackageInvalid(index, 'expired (or not valid yet): its lifetime does not include now')
    }
    const key = Buffer.from(signaturePublicKey).toString('hex')
    if (seen.has(key)) throw alreadyMember(index, signaturePublicKey)
    seen.add(key)
    proposals.push({ proposalType: 'add', add: { keyPackage } })
  }
  const result = await commit(client, proposals, 'addMembers')
  if (result.welcome === undefined) throw operationFailed('addMembers', new Error('ts-mls made no welcome'))
  return { ...result, welcome: encodeWelcome(result.welcome) }
}

/**
 * Commits removing the members whose Ed25519 public keys are given. The commit carries a
 * fresh path: the removed members cannot derive the next epoch's keys.
 * @throws GroupError `GROUP_NOT_MEMBER`, `GROUP_BAD_INPUT` (empty list, duplicates, or our
 *   own key: a member cannot remove itself), `GROUP_STATE_STALE`, `GROUP_OPERATION_FAILED`.
 */
export async function removeMembers(
  state: GroupState,
  memberPublicKeys: readonly Uint8Array[],
): Promise<Committed> {
  const client = usable(state)
  if (!Array.isArray(memberPublicKeys) || memberPublicKeys.length === 0) {
    throw badInput('memberPublicKeys: expected at least one member key')
  }
  const self = ownKey(client)
  const leaves = new Set<number>()
  const proposals: Proposal[] = []
  for (const publicKey of memberPublicKeys) {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
      throw badInput(`memberPublicKeys: expected 32-byte Ed25519 keys, got ${describe(publicKey)}`)
    }
    if (timingSafeEqual(publicKey, self)) throw badInput('memberPublicKeys: a member cannot remove itself')
    const leafIndex = leafIndexOf(client, publicKey)
    if (leafIndex === undefined) throw notMember(publicKey)
    if (leaves.has(leafIndex)) throw badInput(`memberPublicKeys: ${shortHex(publicKey)} is listed twice`)
    leaves.add(leafIndex)
    proposals.push({ proposalType: 'remove', remove: { removed: leafIndex } })
  }
  const { state: next, commit: bytes } = await commit(client, proposals, 'removeMembers')
  return { state: next, commit: bytes }
}

/**
 * Commits a fresh path for our own leaf: new HPKE keys up to the root, so a past leak of
 * this member's group secrets stops mattering from the next epoch on.
 * @throws GroupError `GROUP_STATE_STALE`, `GROUP_BAD_INPUT`, `GROUP_OPERATION_FAILED`.
 */
export async function updateKeys(state: GroupState): Promise<Committed> {
  const { state: next, commit: bytes } = await commit(usable(state), [], 'updateKeys')
  return { state: next, commit: bytes }
}

/**
 * Applies another member's commit. Commits apply strictly in epoch order: the commit must
 * be for this state's epoch. On success `state` is spent: use the returned one.
 * @throws GroupError `GROUP_EPOCH_MISMATCH` (a GroupEpochMismatchError with `expected` and
 *   `got`), `GROUP_WRONG_GROUP`, `GROUP_MESSAGE_INVALID` (garbage, truncated, altered, not a
 *   commit), `GROUP_COMMIT_UNSUPPORTED`, `GROUP_STATE_STALE`, `GROUP_BAD_INPUT`.
 */
export async function processCommit(state: GroupState, commitBytes: Uint8Array): Promise<CommitOutcome> {
  const client = claimState(state)
  try {
    const cs = await suite()
    const message = expectPrivate(commitBytes, client, 'commit')
    let unsupported: string[] = []
    const policy: IncomingMessageCallback = (incoming) => {
      const kinds =
        incoming.kind === 'commit' ? incoming.proposals.map((p) => p.proposal.proposalType) : ['proposal']
      unsupported = kinds.filter((kind) => kind !== 'add' && kind !== 'remove').map(String)
      return unsupported.length === 0 ? 'accept' : 'reject'
    }
    const result = await mapFailure(
      () => processPrivateMessage(client, message, emptyPskIndex, cs, policy),
      (cause) => messageInvalid('commit failed verification', cause),
    )
    if (result.kind !== 'newState') throw messageInvalid('commit decrypted to an application message')
    if (result.actionTaken === 'reject') throw commitUnsupported(unsupported)
    for (const secret of result.consumed) zeroOutUint8Array(secret)
    const next = result.newState
    if (next.groupActiveState.kind === 'removedFromGroup') {
      return {
        kind: 'removed',
        groupId: Uint8Array.from(client.groupContext.groupId),
        epoch: message.epoch + 1n,
      }
    }
    return { kind: 'member', state: wrapState(next) }
  } catch (err) {
    releaseState(state)
    throw err
  }
}

/**
 * Our state in the group a welcome invites us to (the epoch right after the adding commit).
 * @throws GroupError `GROUP_WELCOME_NOT_FOR_US`, `GROUP_WELCOME_INVALID` (garbage,
 *   another suite, failed checks), `GROUP_BAD_INPUT`.
 */
export async function joinFromWelcome(
  welcome: Uint8Array,
  privatePackage: PrivateKeyPackage,
): Promise<GroupState> {
  const own = readPackage(privatePackage)
  const parsed = expectWelcome(welcome)
  if (parsed.cipherSuite !== SUITE_NAME)
    throw welcomeInvalid(`ciphersuite ${parsed.cipherSuite}, expected ${SUITE_NAME}`)
  const cs = await suite()
  const ref = await makeKeyPackageRef(own.publicPackage, cs.hash)
  if (
    !parsed.secrets.some(
      (secret) => secret.newMember.length === ref.length && timingSafeEqual(secret.newMember, ref),
    )
  ) {
    throw welcomeNotForUs()
  }
  const client = await mapFailure(
    () =>
      joinGroup(
        parsed,
        own.publicPackage,
        own.privateKeys,
        emptyPskIndex,
        cs,
        undefined,
        undefined,
        CLIENT_CONFIG,
      ),
    (cause) => welcomeInvalid('failed verification', cause),
  )
  if (client.groupContext.groupId.length !== 32) {
    throw welcomeInvalid(`group id of ${client.groupContext.groupId.length} bytes, expected 32`)
  }
  return wrapState(client)
}

/** The state behind a handle that may still be advanced by a commit of ours. */
function usable(state: GroupState): ClientState {
  const client = readState(state)
  if (isStale(state)) throw stateStale()
  return client
}

async function commit(
  client: ClientState,
  proposals: Proposal[],
  operation: string,
): Promise<Committed & { welcome: Welcome | undefined }> {
  const cs = await suite()
  const result = await mapFailure(
    () =>
      createCommit(
        { state: client, cipherSuite: cs },
        { extraProposals: proposals, ratchetTreeExtension: true },
      ),
    (cause) => operationFailed(operation, cause),
  )
  // `consumed` is left alone: the state passed in must stay usable if the orderer refuses.
  return {
    state: wrapState(result.newState),
    commit: encodeMlsMessage(result.commit),
    welcome: result.welcome,
  }
}

/** Runs `fn`; our own errors pass through, anything else from ts-mls becomes `toError(cause)`. */
async function mapFailure<T>(fn: () => Promise<T>, toError: (cause: unknown) => GroupError): Promise<T> {
  try {
    return await fn()
  } catch (cause) {
    if (cause instanceof BridgeError) throw cause
    throw toError(cause)
  }
}

function describe(value: unknown): string {
  return value instanceof Uint8Array ? `length=${value.length}` : typeof value
}
