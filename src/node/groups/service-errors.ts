import { BridgeError } from '../../core/errors.ts'
import { publicKeyFromPeerId } from '../../crypto/identity.ts'

/** The group service's own refusals (the MLS layer's are GroupErrors, see errors.ts). */

/** No group of this id on this node (or it was removed from it). */
export function unknownGroup(groupId: string): BridgeError {
  return new BridgeError('GROUP_UNKNOWN', `no group ${groupId.slice(0, 16)}… on this node`, {
    hint: 'GET /v1/groups lists the groups of this node',
    status: 404,
  })
}

/** A membership change asked of a node that does not order the group. */
export function notOrderer(groupId: string): BridgeError {
  return new BridgeError('GROUP_NOT_ORDERER', `this node does not order group ${groupId.slice(0, 16)}…`, {
    hint: "only the group's creator orders its commits: ask that node",
    status: 409,
  })
}

/** A control payload that is not from who may send it. */
export function notFromOrderer(what: string, from: string): BridgeError {
  return new BridgeError('GROUP_NOT_FROM_ORDERER', `${what} from ${from}, who does not order the group`, {
    hint: "only the group's orderer sends welcomes and commits: dropped",
    status: 403,
  })
}

/**
 * The 32-byte Ed25519 key of `peerId`.
 * @throws GROUP_BAD_PEER (400) when it is not an Ed25519 peer id.
 */
export function memberKey(peerId: string): Uint8Array {
  try {
    return publicKeyFromPeerId(peerId)
  } catch (cause) {
    throw new BridgeError('GROUP_BAD_PEER', `not a Mainframe peer id: ${String(peerId).slice(0, 80)}`, {
      cause,
      hint: 'a peer id is the 12D3KooW… form of an Ed25519 node key (GET /v1/node shows it)',
      status: 400,
    })
  }
}

/** A group id that is not 64 lower-case hex characters. */
export function badGroupId(groupId: string): BridgeError {
  return new BridgeError('GROUP_BAD_ID', `not a group id: ${JSON.stringify(groupId.slice(0, 80))}`, {
    hint: 'a group id is 64 lower-case hex characters, as POST /v1/groups answered',
    status: 400,
  })
}

export const GROUP_ID_HEX = /^[0-9a-f]{64}$/
