import { timingSafeEqual } from 'node:crypto'
import { emptyPskIndex, joinGroup, createGroup as mlsCreateGroup } from 'ts-mls'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import type { NodeIdentity } from '../../crypto/index.ts'
import { badInput, mapFailure, shapeOf, welcomeInvalid, welcomeNotForUs } from './errors.ts'
import { type GroupState, type PrivateKeyPackage, readPackage, wrapState } from './handles.ts'
import { createKeyPackage } from './key-packages.ts'
import { CLIENT_CONFIG, SUITE_NAME, suite } from './suite.ts'
import { expectWelcome } from './wire.ts'

/**
 * Entering a group: founding one, or joining one from the welcome its adding commit made.
 */

/**
 * A new group at epoch 0 whose only member is `creator`.
 * @throws GroupError `GROUP_BAD_INPUT` (groupId not 32 bytes, not a NodeIdentity).
 */
export async function createGroup(groupId: Uint8Array, creator: NodeIdentity): Promise<GroupState> {
  if (!(groupId instanceof Uint8Array) || groupId.length !== 32) {
    throw badInput(`groupId: expected 32 random bytes, got ${shapeOf(groupId)}`)
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
