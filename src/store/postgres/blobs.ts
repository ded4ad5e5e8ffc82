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
import type { Run } from './db.ts'

const readers = columnReaders('postgres')
const bytes = bytesReader('postgres')

// A put of bytes stored already only moves created_at: the bytes are not sent again, and the
// UPDATE keeps the out-of-line value where it is.
const TOUCH = 'UPDATE blobs SET created_at = GREATEST(created_at, $2) WHERE hash = $1'
// A concurrent put of the same bytes waits for the first to commit, then touches its row.
const INSERT = `INSERT INTO blobs (hash, size, media_type, created_at, bytes) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (hash) DO UPDATE SET created_at = GREATEST(blobs.created_at, excluded.created_at)`
const GET = 'SELECT media_type, bytes FROM blobs WHERE hash = $1'
const HAS = 'SELECT hash FROM blobs WHERE hash = ANY($1::text[])'
const DELETE_BEFORE = 'DELETE FROM blobs WHERE created_at < $1'

/**
 * Blobs on the `blobs` table (bytes in BYTEA, STORAGE EXTERNAL). `put` touches a blob stored
 * already, else inserts it; a put racing another of the same bytes (any process) stores one
 * row. Each method runs through `run`. @throws STORE_INVALID_ARGUMENT.
 */
export function pgBlobs(run: Run): BlobRepo {
  return {
    put: (input, mediaType) =>
      run(async (db) => {
        const blob = checkBlobInput(input, mediaType)
        const now = Date.now()
        if ((await db.count(TOUCH, [blob.hash, now])) === 0)
          await db.count(INSERT, [blob.hash, blob.bytes.length, blob.mediaType, now, blob.bytes])
        return { hash: blob.hash, size: blob.bytes.length }
      }),

    get: (hash) =>
      run(async (db) => {
        const [row] = await db.rows(GET, [checkBlobHash(hash)])
        if (row === undefined) return undefined
        return { bytes: bytes(row, 'bytes'), mediaType: readers.text(row, 'media_type') }
      }),

    has: (hashes) =>
      run(async (db) => {
        const checked = checkBlobHashes(hashes)
        if (checked.length === 0) return new Set<string>()
        return hashSet(await db.rows(HAS, [checked]), readers)
      }),

    deleteBefore: (createdAt) => run((db) => db.count(DELETE_BEFORE, [checkBlobCutoff(createdAt)])),
  }
}
