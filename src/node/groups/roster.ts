import type { ClientState } from 'ts-mls'
import { stateInvalid } from './errors.ts'

/**
 * Who is in a group, read from its ratchet tree. A member is named by its signature key,
 * which our credential policy makes equal to its Ed25519 node key.
 */

export interface Member {
  leafIndex: number
  publicKey: Uint8Array
}

/** The members in leaf order (blank leaves of removed members skipped). */
export function roster(client: ClientState): Member[] {
  const members: Member[] = []
  // Leaves sit at the even node indexes of the array-encoded tree (RFC 9420, appendix C).
  for (let node = 0; node < client.ratchetTree.length; node += 2) {
    const entry = client.ratchetTree[node]
    if (entry?.nodeType === 'leaf')
      members.push({ leafIndex: node / 2, publicKey: entry.leaf.signaturePublicKey })
  }
  return members
}

/** The leaf index of the member whose key is `publicKey`, or undefined. */
export function leafIndexOf(client: ClientState, publicKey: Uint8Array): number | undefined {
  const wanted = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length)
  return roster(client).find((member) => wanted.equals(member.publicKey))?.leafIndex
}

/** This member's own public key. @throws GroupError `GROUP_STATE_INVALID` if its leaf is blank. */
export function ownKey(client: ClientState): Uint8Array {
  const node = client.ratchetTree[client.privatePath.leafIndex * 2]
  if (node?.nodeType !== 'leaf') throw stateInvalid('its own leaf is blank')
  return node.leaf.signaturePublicKey
}
