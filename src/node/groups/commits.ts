import { timingSafeEqual } from 'node:crypto'
import {
  type ClientState,
  createCommit,
  emptyPskIndex,
  encodeMlsMessage,
  type IncomingMessageCallback,
  type Proposal,
  processPrivateMessage,
  type Welcome,
  zeroOutUint8Array,
} from 'ts-mls'
import {
  alreadyMember,
  badInput,
  commitChangesKey,
  commitUnsupported,
  keyPackageInvalid,
  mapFailure,
  messageInvalid,
  notMember,
  operationFailed,
  shapeOf,
  shortHex,
  stateStale,
} from './errors.ts'
import { claimState, type GroupState, isStale, readState, releaseState, wrapState } from './handles.ts'
import { parseKeyPackage } from './key-packages.ts'
import { leafIndexOf, ownKey, roster } from './roster.ts'
import { suite } from './suite.ts'
import { encodeWelcome, expectPrivate } from './wire.ts'

/**
 * Membership changes: committing adds, removes and key updates, and applying others'
 * commits in epoch order.
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
      throw badInput(`memberPublicKeys: expected 32-byte Ed25519 keys, got ${shapeOf(publicKey)}`)
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
 *   commit), `GROUP_COMMIT_UNSUPPORTED` (proposals we never make, or a member's key
 *   changed), `GROUP_STATE_STALE`, `GROUP_BAD_INPUT`.
 */
export async function processCommit(state: GroupState, commitBytes: Uint8Array): Promise<CommitOutcome> {
  const client = claimState(state)
  try {
    const cs = await suite()
    const message = expectPrivate(commitBytes, client, 'commit')
    let proposals: Proposal[] = []
    let unsupported: string[] = []
    const policy: IncomingMessageCallback = (incoming) => {
      proposals = incoming.kind === 'commit' ? incoming.proposals.map((p) => p.proposal) : []
      const kinds = incoming.kind === 'commit' ? proposals.map((p) => p.proposalType) : ['proposal']
      unsupported = kinds.filter((kind) => kind !== 'add' && kind !== 'remove').map(String)
      return unsupported.length === 0 ? 'accept' : 'reject'
    }
    const result = await mapFailure(
      () => processPrivateMessage(client, message, emptyPskIndex, cs, policy),
      (cause) => messageInvalid('commit failed verification', cause),
    )
    if (result.kind !== 'newState') throw messageInvalid('commit decrypted to an application message')
    if (result.actionTaken === 'reject') throw commitUnsupported(unsupported)
    const next = result.newState
    const removed = next.groupActiveState.kind === 'removedFromGroup'
    if (!removed && !keysKept(client, next, proposals)) throw commitChangesKey()
    // Only now is the old state given up: its spent secrets can go.
    for (const secret of result.consumed) zeroOutUint8Array(secret)
    if (removed) {
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
 * Whether the members after a commit are exactly those before, less the removed, plus the
 * added, each under the same key. ts-mls lets a committer's path leaf carry a new signature
 * key (with a credential naming it); for us a member's key is its node identity, so a
 * commit that changes one would rename a member to a key no node answers for.
 */
function keysKept(before: ClientState, after: ClientState, proposals: readonly Proposal[]): boolean {
  const hex = (key: Uint8Array) => Buffer.from(key).toString('hex')
  const removed = new Set(proposals.flatMap((p) => (p.proposalType === 'remove' ? [p.remove.removed] : [])))
  const expected = roster(before)
    .filter((member) => !removed.has(member.leafIndex))
    .map((member) => hex(member.publicKey))
  for (const p of proposals)
    if (p.proposalType === 'add') expected.push(hex(p.add.keyPackage.leafNode.signaturePublicKey))
  const actual = roster(after).map((member) => hex(member.publicKey))
  return expected.length === actual.length && expected.sort().join() === actual.sort().join()
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
