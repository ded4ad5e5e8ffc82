import { BridgeError } from '../../core/errors.ts'
import { concatBytes } from '../../crypto/bytes.ts'
import { type NodeIdentity, publicKeyFromPeerId, verifySignature } from '../../crypto/identity.ts'
import { peerIdOf, tryPeerKey } from '../../crypto/peer.ts'

/**
 * The signed "hosted by" record of a bridge identity (docs/wire-identities.md): which nodes
 * receive for it. Put in the DHT under `/mfhost/<identity peer id>`; every DHT node checks
 * the signature before storing or serving it, so only the identity's key holder can say where
 * it is hosted.
 *
 *   0x01 ‖ identity Ed25519 key (32) ‖ issuedAt u64 BE ms ‖ expiresAt u64 BE ms
 *        ‖ host count u8 (1..8) ‖ host Ed25519 keys (32 each) ‖ signature (64)
 *
 * The signature is by the identity key over "mainframe/hosted-by/v1" ‖ 0x00 ‖ every byte
 * before it.
 */

export const RECORD_NAMESPACE = 'mfhost'
export const MAX_HOSTS = 8
const VERSION = 0x01
const CONTEXT = new TextEncoder().encode('mainframe/hosted-by/v1\u0000')
const HEAD = 1 + 32 + 8 + 8 + 1
const SIGNATURE = 64

export interface HostedBy {
  /** The bridge identity's peer id. */
  readonly identity: string
  /** Peer ids of the nodes that receive for it, in order of preference. */
  readonly hosts: readonly string[]
  /** Epoch ms; of two valid records, the later issued wins. */
  readonly issuedAt: number
  /** Epoch ms after which the record is refused. */
  readonly expiresAt: number
}

/** The DHT key of an identity's record: UTF-8 of `/mfhost/<peer id>`. */
export function recordKey(identityPeerId: string): Uint8Array {
  return new TextEncoder().encode(`/${RECORD_NAMESPACE}/${identityPeerId}`)
}

/** Signs a record for `identity` naming `hosts` (peer ids of Ed25519 nodes). */
export function signHostedBy(
  identity: NodeIdentity,
  hosts: readonly string[],
  issuedAt: number,
  expiresAt: number,
): Uint8Array {
  if (hosts.length < 1 || hosts.length > MAX_HOSTS)
    throw new BridgeError(
      'NODE_RECORD_INVALID',
      `a record names 1 to ${MAX_HOSTS} hosts, not ${hosts.length}`,
    )
  const body = new Uint8Array(HEAD + 32 * hosts.length)
  const view = new DataView(body.buffer)
  body[0] = VERSION
  body.set(identity.publicKey, 1)
  view.setBigUint64(33, BigInt(issuedAt))
  view.setBigUint64(41, BigInt(expiresAt))
  body[49] = hosts.length
  for (const [i, host] of hosts.entries()) body.set(publicKeyFromPeerId(host), HEAD + 32 * i)
  return concatBytes(body, identity.sign(concatBytes(CONTEXT, body)))
}

/**
 * Reads and checks a record found under `key`: layout, version, that the key names the record's
 * identity, the signature, and expiry at `now`.
 * @throws NODE_RECORD_INVALID naming the first thing wrong.
 */
export function readHostedBy(key: Uint8Array, value: Uint8Array, now = Date.now()): HostedBy {
  if (value.length < HEAD + 32 + SIGNATURE) throw invalid(`${value.length} bytes is too short for a record`)
  if (value[0] !== VERSION) throw invalid(`unknown record version 0x${(value[0] as number).toString(16)}`)
  const count = value[49] as number
  if (count < 1 || count > MAX_HOSTS) throw invalid(`host count ${count} is outside 1..${MAX_HOSTS}`)
  const length = HEAD + 32 * count + SIGNATURE
  if (value.length !== length)
    throw invalid(`a record with ${count} hosts is ${length} bytes, not ${value.length}`)
  const publicKey = value.subarray(1, 33)
  const peer = tryPeerKey(publicKey)
  if (peer === null) throw invalid('the identity key is not an Ed25519 public key')
  const identity = peerIdOf(peer)
  if (new TextDecoder().decode(key) !== `/${RECORD_NAMESPACE}/${identity}`)
    throw invalid('the record is not for the identity its DHT key names')
  const body = value.subarray(0, length - SIGNATURE)
  if (!verifySignature(publicKey, concatBytes(CONTEXT, body), value.subarray(length - SIGNATURE)))
    throw invalid("the signature is not the identity's")
  const view = new DataView(value.buffer, value.byteOffset, value.length)
  const issuedAt = Number(view.getBigUint64(33))
  const expiresAt = Number(view.getBigUint64(41))
  if (expiresAt <= now) throw invalid('the record has expired')
  const hosts: string[] = []
  for (let i = 0; i < count; i++) {
    const host = tryPeerKey(value.subarray(HEAD + 32 * i, HEAD + 32 * (i + 1)))
    if (host === null) throw invalid(`host ${i + 1} is not an Ed25519 public key`)
    hosts.push(peerIdOf(host))
  }
  return { identity, hosts, issuedAt, expiresAt }
}

/** The DHT validator of the `mfhost` namespace: throws on anything `readHostedBy` refuses. */
export function validateHostedBy(key: Uint8Array, value: Uint8Array): void {
  readHostedBy(key, value)
}

/** The DHT selector: the index of the valid record issued last (0 when none is valid). */
export function selectHostedBy(key: Uint8Array, records: Uint8Array[]): number {
  let best = 0
  let bestIssued = -1
  records.forEach((value, i) => {
    try {
      const { issuedAt } = readHostedBy(key, value)
      if (issuedAt > bestIssued) {
        best = i
        bestIssued = issuedAt
      }
    } catch {
      // An invalid record never wins.
    }
  })
  return best
}

function invalid(detail: string): BridgeError {
  return new BridgeError('NODE_RECORD_INVALID', `hosted-by record refused: ${detail}`, {
    hint: 'the record was forged, damaged or is stale; the identity is looked up again later',
    status: 400,
  })
}
