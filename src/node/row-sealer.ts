import { hkdfSync, randomBytes } from 'node:crypto'
import { BridgeError } from '../core/errors.ts'
import type { NodeIdentity } from '../crypto/identity.ts'
import { xchachaDecrypt, xchachaEncrypt } from '../crypto/xchacha.ts'

const SEALED_V1 = 0x01
const NONCE_BYTES = 24
const TAG_BYTES = 16

/** What a sealer is for: its key's HKDF info, and how its failures are named. */
export interface RowSealerPurpose {
  /** HKDF info and associated-data prefix, e.g. "mainframe/group-state/v1". */
  readonly info: string
  /** The error code of a row that does not open. */
  readonly errorCode: string
  /** What a row is, for the message: "stored group row". */
  readonly what: string
  /** What the operator can do about a row that does not open. */
  readonly hint: string
}

/**
 * Seals and opens secrets the node keeps in the store (group states, bridge identity keys)
 * under a key derived from the node identity: HKDF-SHA256(seed, info), XChaCha20-Poly1305 with
 * a random nonce. The row id is bound as associated data, so a secret copied into another row
 * does not open. A store dump alone therefore reveals no key; the node key file (encrypted by
 * its passphrase) is needed too.
 */
export class RowSealer {
  readonly #key: Uint8Array
  readonly #purpose: RowSealerPurpose

  constructor(identity: NodeIdentity, purpose: RowSealerPurpose) {
    this.#key = new Uint8Array(hkdfSync('sha256', identity.seed, new Uint8Array(0), purpose.info, 32))
    this.#purpose = purpose
  }

  /** 0x01 ‖ nonce(24) ‖ ciphertext ‖ tag(16). */
  seal(rowId: string, plaintext: Uint8Array): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES)
    const sealed = xchachaEncrypt(this.#key, nonce, this.#aad(rowId), plaintext)
    const out = new Uint8Array(1 + NONCE_BYTES + sealed.length)
    out[0] = SEALED_V1
    out.set(nonce, 1)
    out.set(sealed, 1 + NONCE_BYTES)
    return out
  }

  /**
   * @throws the purpose's error (status 500) when the bytes are of another version,
   *   truncated, altered, of another row, or sealed by another node identity.
   */
  open(rowId: string, bytes: Uint8Array): Uint8Array {
    if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== SEALED_V1)
      throw this.#invalid(rowId, 'unknown version or truncated')
    try {
      return xchachaDecrypt(
        this.#key,
        bytes.subarray(1, 1 + NONCE_BYTES),
        this.#aad(rowId),
        bytes.subarray(1 + NONCE_BYTES),
      )
    } catch (cause) {
      throw this.#invalid(rowId, 'does not open with this node key', cause)
    }
  }

  #aad(rowId: string): Uint8Array {
    return new TextEncoder().encode(`${this.#purpose.info}\0${rowId}`)
  }

  #invalid(rowId: string, reason: string, cause?: unknown): BridgeError {
    const { errorCode, what, hint } = this.#purpose
    return new BridgeError(errorCode, `${what} ${rowId.slice(0, 16)}: ${reason}`, {
      ...(cause === undefined ? {} : { cause }),
      hint,
      status: 500,
    })
  }
}
