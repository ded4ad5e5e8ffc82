import { createHash } from 'node:crypto'
import type { ColumnReaders, ResultRow } from './columns.ts'
import { invalidArgument } from './errors.ts'
import { describeNumber, describeType } from './input.ts'

/**
 * Blobs (`store.blobs`): the bytes of attachments, content-addressed by their SHA-256, so that
 * a file that came in on one network can go out on another from any process of the bridge. A
 * BridgeMessage names its attachments by that hash (src/core/message.ts); the bytes live here.
 *
 * A blob is stored once whatever how often it is put: `put` of bytes already stored changes
 * nothing but the blob's `created_at`, which moves to now (the media type of the first put is
 * kept). `created_at` is thus when the blob was last put, and `deleteBefore` forgets the blobs
 * nobody put since the cutoff: an operator bounding the table keeps what recent messages name.
 * Nothing deletes on its own.
 *
 * A blob holds at most MAX_BLOB_BYTES (64 MiB); it is read and written whole (BLOB on SQLite,
 * BYTEA stored out of line on PostgreSQL). Bytes come back as a plain `Uint8Array` of their
 * own, never a Buffer or a view of another value's memory.
 *
 * The contract of `port.ts` holds (async, epoch-ms integers, `STORE_*` errors). Below the types
 * are the input checks both drivers share.
 */

/** The largest blob the store takes: 64 MiB. */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024

/** The most hashes one `has` takes. */
export const MAX_BLOB_BATCH = 1000

/** What `put` stored: the blob's address and its size in bytes. */
export interface BlobRef {
  /** SHA-256 of the bytes, 64 lower-case hex digits. */
  hash: string
  size: number
}

/** A stored blob. */
export interface StoredBlob {
  bytes: Uint8Array
  /** The media type it was first put with, e.g. `image/png`. */
  mediaType: string
}

export interface BlobRepo {
  /**
   * Stores `bytes` under their SHA-256 (idempotent: bytes stored already are not written
   * again; their created_at moves to now). Only the view's bytes are stored when given a
   * subarray. Atomic across processes: racing puts of the same bytes store one blob.
   * @throws STORE_INVALID_ARGUMENT on a non-Uint8Array, more than MAX_BLOB_BYTES, or a media
   *   type that is not `type/subtype` (letters, digits, `.+-_`, at most 255 characters).
   * @example
   *   const { hash, size } = await store.blobs.put(png, 'image/png')
   */
  put(bytes: Uint8Array, mediaType: string): Promise<BlobRef>
  /**
   * The blob with this hash, or undefined. Reads it whole (up to 64 MiB in memory).
   * @throws STORE_INVALID_ARGUMENT when `hash` is not 64 lower-case hex digits.
   */
  get(hash: string): Promise<StoredBlob | undefined>
  /**
   * Which of up to MAX_BLOB_BATCH hashes are stored, in one query, without reading their
   * bytes (duplicates in the list are fine).
   * @throws STORE_INVALID_ARGUMENT on a malformed hash or a longer list.
   */
  has(hashes: readonly string[]): Promise<Set<string>>
  /**
   * Forgets the blobs last put before `createdAt` (epoch ms, required); returns how many. For
   * operators bounding the table: nothing calls it on its own. A message naming a forgotten
   * blob still crosses, with a notice where its file would be.
   */
  deleteBefore(createdAt: number): Promise<number>
}

// ---- shared by the drivers ----

const HASH = /^[0-9a-f]{64}$/
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/

/** A checked put: the bytes, their hash and the media type. */
export interface BlobInput {
  bytes: Uint8Array
  hash: string
  mediaType: string
}

/** Checks a put and hashes its bytes. */
export function checkBlobInput(bytes: unknown, mediaType: unknown): BlobInput {
  if (!(bytes instanceof Uint8Array))
    throw invalidArgument('blob bytes', `must be a Uint8Array, got ${describeType(bytes)}`)
  if (bytes.length > MAX_BLOB_BYTES)
    throw invalidArgument(
      'blob bytes',
      `must be at most ${MAX_BLOB_BYTES} bytes (64 MiB), got ${bytes.length}`,
    )
  if (typeof mediaType !== 'string' || mediaType.length > 255 || !MEDIA_TYPE.test(mediaType))
    throw invalidArgument('blob mediaType', 'must be a media type such as image/png (at most 255 characters)')
  return { bytes, hash: createHash('sha256').update(bytes).digest('hex'), mediaType }
}

/** A checked hash: 64 lower-case hex digits. */
export function checkBlobHash(value: unknown): string {
  if (typeof value !== 'string' || !HASH.test(value))
    throw invalidArgument('blob hash', 'must be a SHA-256 as 64 lower-case hex digits')
  return value
}

/** A checked list of hashes for `has`: at most MAX_BLOB_BATCH, duplicates dropped. */
export function checkBlobHashes(value: unknown): string[] {
  if (!Array.isArray(value))
    throw invalidArgument('blob hashes', `must be an array, got ${describeType(value)}`)
  if (value.length > MAX_BLOB_BATCH)
    throw invalidArgument('blob hashes', `must hold at most ${MAX_BLOB_BATCH}, got ${value.length}`)
  return [...new Set(value.map(checkBlobHash))]
}

/** The cutoff of `deleteBefore`: a finite number of epoch ms (no default: it deletes). */
export function checkBlobCutoff(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidArgument('createdAt', `must be epoch milliseconds, got ${describeNumber(value)}`)
  return Math.min(Math.ceil(value), Number.MAX_SAFE_INTEGER)
}

/** The hashes of `has` rows as a Set. */
export function hashSet(rows: readonly ResultRow[], r: ColumnReaders): Set<string> {
  return new Set(rows.map((row) => r.text(row, 'hash')))
}
