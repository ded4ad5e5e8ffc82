import { createHash } from 'node:crypto'
import type { NodeIdentity } from '../../crypto/identity.ts'
import { peerIdOf, peerKey } from '../../crypto/peer.ts'
import { RowSealer } from '../row-sealer.ts'

/**
 * What the group service derives: the key its stored states are sealed with, and the topic
 * of a group. See docs/wire-groups.md.
 */

/**
 * Seals and opens stored group states (and pending key packages) under a key derived from
 * the node identity (HKDF info "mainframe/group-state/v1"; see ../row-sealer.ts).
 */
export class StateSealer extends RowSealer {
  constructor(identity: NodeIdentity) {
    super(identity, {
      info: 'mainframe/group-state/v1',
      errorCode: 'GROUP_STATE_SEALED_INVALID',
      what: 'stored group row',
      hint: 'the row was written by another node identity or altered; the group must be joined again',
    })
  }
}

/**
 * The gossipsub topic of a group: lower-case hex of SHA-256("mainframe/group-topic/v1" ‖
 * groupId). The group id is 32 random bytes only members know, so the topic names no group
 * and cannot be linked to one by outsiders.
 */
export function groupTopic(groupId: Uint8Array): string {
  return createHash('sha256').update('mainframe/group-topic/v1').update(groupId).digest('hex')
}

/** The peer id of a member's 32-byte Ed25519 key (MLS credentials are node identity keys). */
export function peerIdOfMember(publicKey: Uint8Array): string {
  return peerIdOf(peerKey(publicKey))
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'))
