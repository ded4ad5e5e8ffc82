import { columnReaders } from '../columns.ts'
import { conflict } from '../errors.ts'
import { checkText } from '../input.ts'
import {
  checkNativeBatch,
  checkNativeCutoff,
  checkNativeScope,
  type NativeIdRepo,
  nativeRowMapper,
  pairsToMap,
} from '../native-port.ts'
import type { Run } from './db.ts'

const readers = columnReaders('postgres')
const toPair = nativeRowMapper(readers)

const COLUMNS = 'network, scope, native_id, message_id, created_at'
// DO NOTHING waits for a concurrent insert of the same key to commit, then inserts nothing;
// the next statement (read committed) sees the pair it committed.
const INSERT = `INSERT INTO native_ids (${COLUMNS}) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT DO NOTHING
  RETURNING ${COLUMNS}`
const BY_NATIVE = `SELECT ${COLUMNS} FROM native_ids WHERE network = $1 AND scope = $2 AND native_id = $3`
const BY_MESSAGE = `SELECT ${COLUMNS} FROM native_ids WHERE network = $1 AND scope = $2 AND message_id = $3`
const MESSAGES_OF = `SELECT native_id, message_id FROM native_ids
  WHERE network = $1 AND scope = $2 AND native_id = ANY($3::text[])`
const NATIVES_OF = `SELECT native_id, message_id FROM native_ids
  WHERE network = $1 AND scope = $2 AND message_id = ANY($3::text[])`
const DELETE_BEFORE = 'DELETE FROM native_ids WHERE created_at < $1'
/** A pair found taken but gone before it was read (deleteBefore in between): try again. */
const PUT_ATTEMPTS = 3

/**
 * Native ids on the `native_ids` table. `put` inserts, and when a key is taken reads the pair
 * holding it. In a caller's serializable transaction, a conflicting pair committed after its
 * snapshot fails the insert with a serialization failure and the transaction runs again.
 * Each method runs through `run`. @throws STORE_INVALID_ARGUMENT.
 */
export function pgNatives(run: Run): NativeIdRepo {
  return {
    put: (network, scope, nativeId, messageId) =>
      run(async (db) => {
        const s = checkNativeScope(network, scope)
        const native = checkText('native id', nativeId)
        const message = checkText('native messageId', messageId)
        for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
          const [row] = await db.rows(INSERT, [s.network, s.scope, native, message, Date.now()])
          const held =
            row ??
            (await db.rows(BY_NATIVE, [s.network, s.scope, native]))[0] ??
            (await db.rows(BY_MESSAGE, [s.network, s.scope, message]))[0]
          if (held !== undefined) return toPair(held)
        }
        throw conflict(`native id ${native} could not be stored`)
      }),

    messageOf: (network, scope, nativeId) =>
      run(async (db) => {
        const s = checkNativeScope(network, scope)
        const [row] = await db.rows(BY_NATIVE, [s.network, s.scope, checkText('native id', nativeId)])
        return row === undefined ? undefined : readers.text(row, 'message_id')
      }),

    nativeOf: (network, scope, messageId) =>
      run(async (db) => {
        const s = checkNativeScope(network, scope)
        const [row] = await db.rows(BY_MESSAGE, [
          s.network,
          s.scope,
          checkText('native messageId', messageId),
        ])
        return row === undefined ? undefined : readers.text(row, 'native_id')
      }),

    messagesOf: (network, scope, nativeIds) =>
      run(async (db) => {
        const s = checkNativeScope(network, scope)
        const ids = checkNativeBatch('native ids', nativeIds)
        if (ids.length === 0) return new Map()
        const rows = await db.rows(MESSAGES_OF, [s.network, s.scope, ids])
        return pairsToMap(rows, readers, 'native_id', 'message_id')
      }),

    nativesOf: (network, scope, messageIds) =>
      run(async (db) => {
        const s = checkNativeScope(network, scope)
        const ids = checkNativeBatch('native messageIds', messageIds)
        if (ids.length === 0) return new Map()
        const rows = await db.rows(NATIVES_OF, [s.network, s.scope, ids])
        return pairsToMap(rows, readers, 'message_id', 'native_id')
      }),

    deleteBefore: (createdAt) => run(async (db) => db.count(DELETE_BEFORE, [checkNativeCutoff(createdAt)])),
  }
}
