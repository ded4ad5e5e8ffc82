import { createHash, hkdfSync, randomBytes } from 'node:crypto'
import { BridgeError } from '../../core/errors.ts'
import type { NodeIdentity } from '../../crypto/identity.ts'
import { peerIdOf, peerKey } from '../../crypto/peer.ts'
import { xchachaDecrypt, xchachaEncrypt } from '../../crypto/xchacha.ts'

/**
 * What the group service derives: the key its stored states are sealed with, and the topic
 * of a group. See docs/wire-groups.md.
 */

const STATE_INFO = 'mainframe/group-state/v1'
const SEALED_V1 = 0x01
const NONCE_BYTES = 24
const TAG_BYTES = 16

/**
 * Seals and opens stored group states (and pending key packages) under a key derived from
 * the node identity: HKDF-SHA256(seed, info "mainframe/group-state/v1"), XChaCha20-Poly1305
 * with a random nonce. The row id is bound as associated data, so a state copied into another
 * row does not open.
 */
export class StateSealer {
  readonly #key: Uint8Array

  constructor(identity: NodeIdentity) {
    this.#key = new Uint8Array(hkdfSync('sha256', identity.seed, new Uint8Array(0), STATE_INFO, 32))
  }

  /** 0x01 ‖ nonce(24) ‖ ciphertext ‖ tag(16). */
  seal(rowId: string, plaintext: Uint8Array): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES)
    const sealed = xchachaEncrypt(this.#key, nonce, aad(rowId), plaintext)
    const out = new Uint8Array(1 + NONCE_BYTES + sealed.length)
    out[0] = SEALED_V1
    out.set(nonce, 1)
    out.set(sealed, 1 + NONCE_BYTES)
    return out
  }

  /**
   * @throws GROUP_STATE_SEALED_INVALID (status 500) when the bytes are of another version,
   *   truncated, altered, of another row, or sealed by another node identity.
   */
  open(rowId: string, bytes: Uint8Array): Uint8Array {
    if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== SEALED_V1)
      throw sealedInvalid(rowId, 'unknown version or truncated')
    try {
      return xchachaDecrypt(
        this.#key,
        bytes.subarray(1, 1 + NONCE_BYTES),
        aad(rowId),
        bytes.subarray(1 + NONCE_BYTES),
      )
    } catch (cause) {
      throw sealedInvalid(rowId, 'does not open with this node key', cause)
    }
  }
}

function aad(rowId: string): Uint8Array {
  return new TextEncoder().encode(`${STATE_INFO}\0${rowId}`)
}

function sealedInvalid(rowId: string, reason: string, cause?: unknown): BridgeError {
  return new BridgeError('GROUP_STATE_SEALED_INVALID', `stored group row ${rowId.slice(0, 16)}: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'the row was written by another node identity or altered; the group must be joined again',
    status: 500,
  })
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
