import {
  type ClientState,
  createApplicationMessage,
  emptyPskIndex,
  type PrivateMessage,
  processPrivateMessage,
  zeroOutUint8Array,
} from 'ts-mls'
import { decryptSenderData } from 'ts-mls/privateMessage.js'
import { BridgeError } from '../../core/errors.ts'
import { badInput, messageInvalid, operationFailed, ownMessage, senderRemoved } from './errors.ts'
import { claimState, type GroupState, releaseState, wrapState } from './handles.ts'
import { leafIndexOf } from './roster.ts'
import { suite } from './suite.ts'
import { encodePrivate, expectPrivate } from './wire.ts'

/**
 * Application messages: one AEAD encryption and one signature per message, whatever the
 * group size, read by every member with the same bytes. Each call spends the state passed
 * in (its message keys are used once and wiped) and returns the next one.
 */

export interface Encrypted {
  state: GroupState
  /** MLSMessage bytes (mls_private_message) for every member of the group. */
  ciphertext: Uint8Array
}

export interface Decrypted {
  state: GroupState
  plaintext: Uint8Array
  /** The sender's Ed25519 public key, authenticated by its signature in the group. */
  senderPublicKey: Uint8Array
}

/**
 * Encrypts `plaintext` for the whole group at this state's epoch.
 * @throws GroupError `GROUP_STATE_STALE` (state already used: use the one returned),
 *   `GROUP_BAD_INPUT`, `GROUP_OPERATION_FAILED`.
 * @example
 *   const { state: next, ciphertext } = await encryptMessage(state, bytes)
 */
export async function encryptMessage(state: GroupState, plaintext: Uint8Array): Promise<Encrypted> {
  if (!(plaintext instanceof Uint8Array)) throw badInput('plaintext: expected a Uint8Array')
  const client = claimState(state)
  try {
    const cs = await suite()
    const result = await createApplicationMessage(client, plaintext, cs)
    for (const secret of result.consumed) zeroOutUint8Array(secret)
    return { state: wrapState(result.newState), ciphertext: encodePrivate(result.privateMessage) }
  } catch (cause) {
    releaseState(state)
    if (cause instanceof BridgeError) throw cause
    throw operationFailed('encryptMessage', cause)
  }
}

/**
 * Decrypts a group message and authenticates its sender. Messages of this state's epoch
 * and of the few earlier epochs whose keys it keeps are readable; each is readable once.
 * @throws GroupError `GROUP_EPOCH_MISMATCH` (a newer epoch: process the commits first; or
 *   an epoch whose keys are gone), `GROUP_WRONG_GROUP`, `GROUP_MESSAGE_INVALID` (garbage,
 *   truncated, altered, replayed, or a commit), `GROUP_OWN_MESSAGE` (one this member sent:
 *   its keys are spent), `GROUP_SENDER_REMOVED` (a late message of an
 *   earlier epoch from a member removed since), `GROUP_STATE_STALE`, `GROUP_BAD_INPUT`.
 */
export async function decryptMessage(state: GroupState, ciphertext: Uint8Array): Promise<Decrypted> {
  const client = claimState(state)
  try {
    const message = expectPrivate(ciphertext, client, 'application')
    const cs = await suite()
    const sender = await senderOf(client, message)
    // Leaf indexes are stable while a member stays, so this is us in any retained epoch too.
    if (sender.leafIndex === client.privatePath.leafIndex) throw ownMessage()
    const result = await processPrivateMessage(client, message, emptyPskIndex, cs, () => 'reject')
    if (result.kind !== 'applicationMessage') throw messageInvalid('ciphertext is not an application message')
    // Keys of earlier epochs stay readable for late messages, so a removed member could still
    // write in them: only members of the current epoch may be heard from.
    if (message.epoch !== client.groupContext.epoch && leafIndexOf(client, sender.publicKey) === undefined) {
      throw senderRemoved(sender.publicKey, message.epoch)
    }
    for (const secret of result.consumed) zeroOutUint8Array(secret)
    return { state: wrapState(result.newState), plaintext: result.message, senderPublicKey: sender.publicKey }
  } catch (cause) {
    releaseState(state)
    if (cause instanceof BridgeError) throw cause
    throw messageInvalid('ciphertext failed decryption or authentication', cause)
  }
}

/**
 * The leaf a message says it is from, read from its encrypted sender data. ts-mls reads
 * the same sender data and checks the signature against that leaf's key, but does not
 * return it; once processPrivateMessage has succeeded, this is the authenticated sender.
 */
async function senderOf(
  client: ClientState,
  message: PrivateMessage,
): Promise<{ leafIndex: number; publicKey: Uint8Array }> {
  const current = message.epoch === client.groupContext.epoch
  const epochData = current ? undefined : client.historicalReceiverData.get(message.epoch)
  const senderDataSecret = epochData?.senderDataSecret ?? client.keySchedule.senderDataSecret
  const tree = epochData?.ratchetTree ?? client.ratchetTree
  const senderData = await decryptSenderData(message, senderDataSecret, await suite())
  const leaf = senderData === undefined ? undefined : tree[senderData.leafIndex * 2]
  if (senderData === undefined || leaf?.nodeType !== 'leaf') {
    throw messageInvalid('ciphertext names no member as its sender')
  }
  return { leafIndex: senderData.leafIndex, publicKey: Uint8Array.from(leaf.leaf.signaturePublicKey) }
}
