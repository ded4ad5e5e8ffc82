import { timingSafeEqual } from 'node:crypto'
import { type ClientState, decodeGroupState, encodeGroupState } from 'ts-mls'
import type { NodeIdentity } from '../../crypto/index.ts'
import { badInput, identityMismatch, stateInvalid, stateStale } from './errors.ts'
import {
  type GroupState,
  isStale,
  type PrivateKeyPackage,
  readPackage,
  readState,
  wrapPackage,
  wrapState,
} from './handles.ts'
import { checkIdentity } from './key-packages.ts'
import { CLIENT_CONFIG, SUITE_NAME } from './suite.ts'
import { encodeKeyPackage, expectKeyPackage } from './wire.ts'

/**
 * Persisted forms of a group state and of a private key package, for the node's store.
 *
 *   group state v1:     0x01 ‖ ts-mls GroupState encoding (TLS presentation language)
 *   private package v1: 0x02 ‖ u32 n ‖ MLSMessage key package (n) ‖ u16 ‖ init key ‖ u16 ‖ HPKE key
 *
 * Neither holds the node's identity seed: ts-mls keeps the signing key in its state, and we
 * store an empty one and put the identity back on load. Both still hold group secrets
 * (epoch secrets, private path keys), so the node must encrypt them at rest.
 */

const GROUP_STATE_V1 = 0x01
const PRIVATE_PACKAGE_V1 = 0x02

/**
 * The bytes of `state`, to be stored encrypted. Deterministic for a given state.
 * @throws GroupError `GROUP_STATE_STALE` (persisting a replaced state would roll keys back),
 *   `GROUP_BAD_INPUT`.
 */
export function serializeGroup(state: GroupState): Uint8Array {
  const client = readState(state)
  if (isStale(state)) throw stateStale()
  const body = encodeGroupState({ ...client, signaturePrivateKey: new Uint8Array(0) })
  const out = new Uint8Array(1 + body.length)
  out[0] = GROUP_STATE_V1
  out.set(body, 1)
  return out
}

/**
 * The group state of bytes from serializeGroup(), for the node `identity` that wrote them.
 * @throws GroupError `GROUP_STATE_INVALID` (unknown version, truncated, corrupt, another
 *   suite), `GROUP_IDENTITY_MISMATCH` (stored by another node), `GROUP_BAD_INPUT`.
 */
export function deserializeGroup(bytes: Uint8Array, identity: NodeIdentity): GroupState {
  if (!(bytes instanceof Uint8Array)) throw badInput('bytes: expected a Uint8Array')
  checkIdentity(identity)
  if (bytes.length === 0) throw stateInvalid('empty')
  if (bytes[0] !== GROUP_STATE_V1)
    throw stateInvalid(`version ${bytes[0]}, this build reads version ${GROUP_STATE_V1}`)
  let decoded: ReturnType<typeof decodeGroupState>
  try {
    decoded = decodeGroupState(bytes, 1)
  } catch (cause) {
    throw stateInvalid('does not decode', cause)
  }
  if (decoded === undefined) throw stateInvalid(`does not decode (${bytes.length} bytes)`)
  // ts-mls decoders answer the length they consumed, not the offset they reached.
  const trailing = bytes.length - 1 - decoded[1]
  if (trailing !== 0) throw stateInvalid(`${trailing} bytes after its end`)
  const stored = decoded[0]
  if (stored.groupContext.cipherSuite !== SUITE_NAME)
    throw stateInvalid(`ciphersuite ${stored.groupContext.cipherSuite}`)
  if (stored.signaturePrivateKey.length !== 0)
    throw stateInvalid('it holds a signing key; this build never stores one')
  if (stored.groupActiveState.kind !== 'active')
    throw stateInvalid(`group is ${stored.groupActiveState.kind}`)
  const own = stored.ratchetTree[stored.privatePath.leafIndex * 2]
  if (own?.nodeType !== 'leaf') throw stateInvalid('its own leaf is blank')
  if (!sameKey(own.leaf.signaturePublicKey, identity.publicKey)) throw identityMismatch('group state')
  const client: ClientState = {
    ...stored,
    signaturePrivateKey: Uint8Array.from(identity.seed),
    clientConfig: CLIENT_CONFIG,
  }
  return wrapState(client)
}

/**
 * The bytes of a private key package, to be stored encrypted until its welcome arrives.
 * @throws GroupError `GROUP_BAD_INPUT`.
 */
export function serializePrivatePackage(privatePackage: PrivateKeyPackage): Uint8Array {
  const { publicPackage, privateKeys } = readPackage(privatePackage)
  const wire = encodeKeyPackage(publicPackage)
  const { initPrivateKey: init, hpkePrivateKey: hpke } = privateKeys
  return concat([
    Uint8Array.of(PRIVATE_PACKAGE_V1),
    uint(4, wire.length),
    wire,
    uint(2, init.length),
    init,
    uint(2, hpke.length),
    hpke,
  ])
}

function uint(size: 2 | 4, value: number): Uint8Array {
  const out = new Uint8Array(size)
  if (size === 2) new DataView(out.buffer).setUint16(0, value)
  else new DataView(out.buffer).setUint32(0, value)
  return out
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * The private key package of bytes from serializePrivatePackage(), for `identity`.
 * @throws GroupError `GROUP_STATE_INVALID` (unknown version, truncated, corrupt),
 *   `GROUP_IDENTITY_MISMATCH`, `GROUP_BAD_INPUT`.
 */
export function deserializePrivatePackage(bytes: Uint8Array, identity: NodeIdentity): PrivateKeyPackage {
  if (!(bytes instanceof Uint8Array)) throw badInput('bytes: expected a Uint8Array')
  checkIdentity(identity)
  if (bytes.length === 0 || bytes[0] !== PRIVATE_PACKAGE_V1) {
    throw stateInvalid(`private package: version ${bytes[0]}, this build reads version ${PRIVATE_PACKAGE_V1}`)
  }
  const reader = new Reader(bytes, 1)
  const wire = reader.take(reader.uint(4))
  const initPrivateKey = reader.take(reader.uint(2))
  const hpkePrivateKey = reader.take(reader.uint(2))
  if (!reader.atEnd()) throw stateInvalid('private package: bytes after its end')
  let publicPackage: ReturnType<typeof expectKeyPackage>
  try {
    publicPackage = expectKeyPackage(wire, 0)
  } catch (cause) {
    throw stateInvalid('private package: its key package does not decode', cause)
  }
  if (!sameKey(publicPackage.leafNode.signaturePublicKey, identity.publicKey))
    throw identityMismatch('private package')
  return wrapPackage({
    identity,
    publicPackage,
    privateKeys: { initPrivateKey, hpkePrivateKey, signaturePrivateKey: Uint8Array.from(identity.seed) },
  })
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Big-endian length-prefixed fields, every read bounds-checked. */
class Reader {
  readonly #bytes: Uint8Array
  #at: number

  constructor(bytes: Uint8Array, at: number) {
    this.#bytes = bytes
    this.#at = at
  }

  uint(size: 2 | 4): number {
    const field = this.take(size)
    return size === 2
      ? (field[0]! << 8) | field[1]!
      : new DataView(field.buffer, field.byteOffset).getUint32(0)
  }

  take(length: number): Uint8Array {
    if (this.#at + length > this.#bytes.length) throw stateInvalid('private package: truncated')
    const field = this.#bytes.slice(this.#at, this.#at + length)
    this.#at += length
    return field
  }

  atEnd(): boolean {
    return this.#at === this.#bytes.length
  }
}
