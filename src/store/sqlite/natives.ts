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
import type { Run } from './run.ts'

const readers = columnReaders('sqlite')
const toPair = nativeRowMapper(readers)

const COLUMNS = 'network, scope, native_id, message_id, created_at'
const INSERT = `INSERT INTO native_ids (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING
  RETURNING ${COLUMNS}`
const BY_NATIVE = `SELECT ${COLUMNS} FROM native_ids WHERE network = ? AND scope = ? AND native_id = ?`
const BY_MESSAGE = `SELECT ${COLUMNS} FROM native_ids WHERE network = ? AND scope = ? AND message_id = ?`
// The ids drive the join (CROSS JOIN keeps that order), each one a lookup in the primary key
// or the message_id index: with `message_id IN (…)` SQLite would rather scan the scope.
/** Exported for the query-plan test. */
export const MESSAGES_OF = `SELECT n.native_id, n.message_id FROM json_each(?) AS ids
  CROSS JOIN native_ids AS n ON n.network = ? AND n.scope = ? AND n.native_id = ids.value`
/** Exported for the query-plan test. */
export const NATIVES_OF = `SELECT n.native_id, n.message_id FROM json_each(?) AS ids
  CROSS JOIN native_ids AS n ON n.network = ? AND n.scope = ? AND n.message_id = ids.value`
/** Exported for the query-plan test. */
export const DELETE_BEFORE = 'DELETE FROM native_ids WHERE created_at < ?'

/**
 * Native ids on the `native_ids` table. `put` inserts and, when a key is taken, reads the pair
 * holding it in one BEGIN IMMEDIATE transaction (or the caller's), so what it returns is what
 * is stored. Each method runs through `run`. @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteNatives(run: Run): NativeIdRepo {
  return {
    put: (network, scope, nativeId, messageId) =>
      run((conn) => {
        const s = checkNativeScope(network, scope)
        const native = checkText('native id', nativeId)
        const message = checkText('native messageId', messageId)
        return conn.atomic(() => {
          const [row] = conn.all(INSERT, s.network, s.scope, native, message, Date.now())
          const held =
            row ??
            conn.get(BY_NATIVE, s.network, s.scope, native) ??
            conn.get(BY_MESSAGE, s.network, s.scope, message)
          if (held === undefined) throw conflict(`native id ${native} could not be stored`)
          return toPair(held)
        })
      }),

    messageOf: (network, scope, nativeId) =>
      run((conn) => {
        const s = checkNativeScope(network, scope)
        const row = conn.get(BY_NATIVE, s.network, s.scope, checkText('native id', nativeId))
        return row === undefined ? undefined : readers.text(row, 'message_id')
      }),

    nativeOf: (network, scope, messageId) =>
      run((conn) => {
        const s = checkNativeScope(network, scope)
        const row = conn.get(BY_MESSAGE, s.network, s.scope, checkText('native messageId', messageId))
        return row === undefined ? undefined : readers.text(row, 'native_id')
      }),

    messagesOf: (network, scope, nativeIds) =>
      run((conn) => {
        const s = checkNativeScope(network, scope)
        const ids = checkNativeBatch('native ids', nativeIds)
        if (ids.length === 0) return new Map()
        const rows = conn.all(MESSAGES_OF, JSON.stringify(ids), s.network, s.scope)
        return pairsToMap(rows, readers, 'native_id', 'message_id')
      }),

    nativesOf: (network, scope, messageIds) =>
      run((conn) => {
        const s = checkNativeScope(network, scope)
        const ids = checkNativeBatch('native messageIds', messageIds)
        if (ids.length === 0) return new Map()
        const rows = conn.all(NATIVES_OF, JSON.stringify(ids), s.network, s.scope)
        return pairsToMap(rows, readers, 'message_id', 'native_id')
      }),

    deleteBefore: (createdAt) => run((conn) => conn.run(DELETE_BEFORE, checkNativeCutoff(createdAt))),
  }
}
