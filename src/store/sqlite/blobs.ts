import {
  type BlobRepo,
  checkBlobCutoff,
  checkBlobHash,
  checkBlobHashes,
  checkBlobInput,
  hashSet,
} from '../blob-port.ts'
import { columnReaders } from '../columns.ts'
import { bytesReader } from '../node-port.ts'
import type { Param } from './connection.ts'
import type { Run } from './run.ts'

const readers = columnReaders('sqlite')
const bytes = bytesReader('sqlite')

const TOUCH = 'UPDATE blobs SET created_at = max(created_at, ?) WHERE hash = ?'
const INSERT = 'INSERT INTO blobs (hash, size, media_type, created_at) VALUES (?, ?, ?, ?) RETURNING id'
const INSERT_BYTES = 'INSERT INTO blob_bytes (id, bytes) VALUES (?, ?)'
const GET = `SELECT b.media_type, d.bytes FROM blobs AS b
  JOIN blob_bytes AS d ON d.id = b.id WHERE b.hash = ?`
// The hashes drive the join (CROSS JOIN keeps that order), each a lookup in the hash index.
/** Exported for the query-plan test. */
export const HAS = 'SELECT b.hash FROM json_each(?) AS ids CROSS JOIN blobs AS b ON b.hash = ids.value'
/** Exported for the query-plan test. Their bytes go with them (ON DELETE CASCADE). */
export const DELETE_BEFORE = 'DELETE FROM blobs WHERE created_at < ?'

/**
 * Blobs on the `blobs` table, their bytes in `blob_bytes` (same id). `put` touches a blob
 * stored already, else inserts both rows, in one BEGIN IMMEDIATE transaction (or the
 * caller's). node:sqlite is synchronous: a put or get of a large blob blocks the event loop
 * while SQLite copies it (about 10 ms per MiB). Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteBlobs(run: Run): BlobRepo {
  return {
    put: (input, mediaType) =>
      run((conn) => {
        const blob = checkBlobInput(input, mediaType)
        const now = Date.now()
        return conn.atomic(() => {
          if (conn.run(TOUCH, now, blob.hash) === 0) {
            const [row] = conn.all(INSERT, blob.hash, blob.bytes.length, blob.mediaType, now)
            // node:sqlite binds a Uint8Array (only the view's bytes) as a BLOB.
            conn.run(INSERT_BYTES, readers.int(row!, 'id'), blob.bytes as unknown as Param)
          }
          return { hash: blob.hash, size: blob.bytes.length }
        })
      }),

    get: (hash) =>
      run((conn) => {
        const row = conn.get(GET, checkBlobHash(hash))
        if (row === undefined) return undefined
        return { bytes: bytes(row, 'bytes'), mediaType: readers.text(row, 'media_type') }
      }),

    has: (hashes) =>
      run((conn) => {
        const checked = checkBlobHashes(hashes)
        if (checked.length === 0) return new Set<string>()
        return hashSet(conn.all(HAS, JSON.stringify(checked)), readers)
      }),

    deleteBefore: (createdAt) => run((conn) => conn.run(DELETE_BEFORE, checkBlobCutoff(createdAt))),
  }
}
