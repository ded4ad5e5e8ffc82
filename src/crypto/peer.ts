import type { KeyObject } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { InvalidInputError } from '../core/errors.ts'
import { asBuffer, expectBytes } from './bytes.ts'
import { Lru } from './lru.ts'

/**
 * The public side of a peer, as derived from its Ed25519 public key: its X25519 key
 * (Edwards → Montgomery) and its libp2p peer id. Both conversions are costly (a point
 * decompression; a base58 encoding), so the results are kept in a bounded LRU. Entries hold
 * public values only.
 */
export interface PeerKey {
  readonly publicKey: Uint8Array
  /** Unique per PeerKey object ever made: a cheap cache key for secrets shared with this peer. */
  readonly serial: number
  readonly x25519PublicKey: Uint8Array
  /** Filled in by the native backend on first use. */
  x25519KeyObject?: KeyObject
  /** Filled in on first use. */
  peerId?: string
}

export const PEER_CACHE_SIZE = 1024
const peers = new Lru<string, PeerKey>(PEER_CACHE_SIZE)
let serials = 0

/**
 * The cached PeerKey of an Ed25519 public key, or null when the 32 bytes are not a point of
 * the curve, or a point of small order (whose X25519 exchanges would be all zero).
 */
export function tryPeerKey(publicKey: Uint8Array): PeerKey | null {
  const id = asBuffer(publicKey).toString('latin1') // 32 one-byte chars: cheaper to hash than hex
  const cached = peers.get(id)
  if (cached !== undefined) return cached
  let x25519PublicKey: Uint8Array
  try {
    if (ed25519.Point.fromBytes(publicKey).isSmallOrder()) return null
    x25519PublicKey = ed25519.utils.toMontgomery(publicKey)
  } catch {
    return null
  }
  const peer: PeerKey = { publicKey: Uint8Array.from(publicKey), serial: ++serials, x25519PublicKey }
  peers.set(id, peer)
  return peer
}

/**
 * The cached PeerKey of an Ed25519 public key.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT` (not 32 bytes) or `CRYPTO_INVALID_PUBLIC_KEY`.
 */
export function peerKey(publicKey: Uint8Array, name = 'publicKey'): PeerKey {
  expectBytes(name, publicKey, 32)
  const peer = tryPeerKey(publicKey)
  if (peer === null) {
    throw new InvalidInputError(
      'CRYPTO_INVALID_PUBLIC_KEY',
      `${name}: not a usable Ed25519 public key (not a curve point, or a point of small order)`,
    )
  }
  return peer
}

/** The libp2p peer id string of a PeerKey, computed once. */
export function peerIdOf(peer: PeerKey): string {
  peer.peerId ??= peerIdFromPublicKey(publicKeyFromRaw(peer.publicKey)).toString()
  return peer.peerId
}

/**
 * The X25519 public key of an Ed25519 public key (the birational map u = (1+y)/(1-y)), as
 * noble's `ed25519.utils.toMontgomery`; cached.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT` or `CRYPTO_INVALID_PUBLIC_KEY`.
 */
export function x25519PublicKeyFromEd25519(publicKey: Uint8Array): Uint8Array {
  return Uint8Array.from(peerKey(publicKey).x25519PublicKey)
}

/**
 * The Ed25519 public key a libp2p peer id embeds (`12D3KooW…`, an identity multihash).
 * @throws InvalidInputError `PEER_ID_INVALID` when the string is no peer id, or
 *   `PEER_ID_NOT_ED25519` when it names an RSA or secp256k1 key.
 */
export function publicKeyFromPeerId(peerId: string): Uint8Array {
  if (typeof peerId !== 'string') {
    throw new InvalidInputError('PEER_ID_INVALID', `expected a peer id string, got ${typeof peerId}`)
  }
  const shown = peerId.length > 80 ? `${peerId.slice(0, 77)}...` : peerId
  let parsed: ReturnType<typeof peerIdFromString>
  try {
    parsed = peerIdFromString(peerId)
  } catch (cause) {
    throw new InvalidInputError('PEER_ID_INVALID', `not a libp2p peer id: "${shown}"`, {
      cause,
      hint: 'an Ed25519 peer id is base58btc and starts with 12D3KooW',
    })
  }
  if (parsed.type !== 'Ed25519') {
    throw new InvalidInputError(
      'PEER_ID_NOT_ED25519',
      `peer id "${shown}" is of type ${parsed.type}; Mainframe nodes use Ed25519 peer ids (12D3KooW…)`,
    )
  }
  return Uint8Array.from(parsed.publicKey.raw)
}
