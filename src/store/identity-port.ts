import type { ColumnReaders, ResultRow } from './columns.ts'
import { invalidArgument } from './errors.ts'
import { checkText, describeNumber, describeType } from './input.ts'
import { bytesReader } from './node-port.ts'

/**
 * Bridge identities (DESIGN.md "Identities"): Ed25519 keys the bridge holds for people of other
 * networks, reached as `store.identities`. The store keeps the seed only in the form the
 * caller encrypted it (`sealedSeed`); it never sees a key in the clear.
 *
 * The contract of `port.ts` holds (async, epoch-ms integers, exact strings, `STORE_*` errors).
 * Below the types are the input checks and the row mapping both drivers share.
 */

/** One bridge identity as stored. */
export interface BridgeIdentity {
  /** The identity's peer id (12D3KooW…), made from `publicKey`; unique. */
  peerId: string
  /** Whom it stands for, e.g. `matrix:@alice:example.org`; unique. */
  subject: string
  /** The Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array
  /** The Ed25519 seed as the caller encrypted it; opaque to the store. */
  sealedSeed: Uint8Array
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms of the last "hosted by" record put in the DHT; null: never announced. */
  announcedAt: number | null
}

export type BridgeIdentityInput = Pick<BridgeIdentity, 'peerId' | 'subject' | 'publicKey' | 'sealedSeed'>

/** The largest page of `list` and `dueForAnnounce`. */
export const MAX_IDENTITY_PAGE = 1000

export interface IdentityRepo {
  /**
   * Stores a new identity unless its subject already has one, in one statement; returns the
   * stored identity. The first writer wins: two processes creating one subject's identity at
   * once both get the same key back.
   * @throws STORE_CONFLICT when the peer id is taken by another subject (a key collision: a
   *   bug); STORE_INVALID_ARGUMENT.
   */
  create(input: BridgeIdentityInput): Promise<BridgeIdentity>
  bySubject(subject: string): Promise<BridgeIdentity | undefined>
  byPeerId(peerId: string): Promise<BridgeIdentity | undefined>
  /** Up to `limit` identities ordered by peer id, after `after` when given. */
  list(page: { limit: number; after?: string }): Promise<BridgeIdentity[]>
  /** Identities last announced before `before` (never-announced ones first), at most `limit`. */
  dueForAnnounce(before: number, limit: number): Promise<BridgeIdentity[]>
  /** Records an announcement at `at`; false when no identity has this peer id. */
  markAnnounced(peerId: string, at: number): Promise<boolean>
  count(): Promise<number>
}

// ---- shared by the drivers ----

/** A checked `BridgeIdentityInput`; the public key must be 32 bytes. */
export function checkIdentityInput(input: unknown): BridgeIdentityInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalidArgument('identity', `must be an object, got ${describeType(input)}`)
  const value = input as Record<string, unknown>
  const publicKey = value.publicKey
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
    throw invalidArgument('identity publicKey', 'must be a Uint8Array of 32 bytes')
  const sealedSeed = value.sealedSeed
  if (!(sealedSeed instanceof Uint8Array) || sealedSeed.length === 0)
    throw invalidArgument('identity sealedSeed', 'must be a non-empty Uint8Array')
  return {
    peerId: checkText('identity peerId', value.peerId),
    subject: checkText('identity subject', value.subject),
    publicKey,
    sealedSeed,
  }
}

/** `limit` of a page: an integer from 1 to MAX_IDENTITY_PAGE. */
export function checkIdentityLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_IDENTITY_PAGE)
    throw invalidArgument(
      'limit',
      `must be an integer from 1 to ${MAX_IDENTITY_PAGE}, got ${describeNumber(limit)}`,
    )
  return limit
}

export function checkAnnounceTime(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalidArgument(what, `must be a positive integer of epoch ms, got ${describeNumber(value)}`)
  return value
}

/** A row of `bridge_identities` (announced_at 0: never) to a BridgeIdentity. */
export function identityRowMapper(driver: 'sqlite' | 'postgres', r: ColumnReaders) {
  const bytes = bytesReader(driver)
  return (row: ResultRow): BridgeIdentity => {
    const announcedAt = r.int(row, 'announced_at')
    return {
      peerId: r.text(row, 'peer_id'),
      subject: r.text(row, 'subject'),
      publicKey: bytes(row, 'public_key'),
      sealedSeed: bytes(row, 'sealed_seed'),
      createdAt: r.int(row, 'created_at'),
      announcedAt: announcedAt === 0 ? null : announcedAt,
    }
  }
}
