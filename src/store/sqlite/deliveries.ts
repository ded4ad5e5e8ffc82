import type { BridgeMessage } from '../../core/message.ts'
import { invalidArgument } from '../errors.ts'
import { checkInstant, checkText, describeType } from '../input.ts'
import { checkError, checkInteger, checkTargets } from '../relay-input.ts'
import type { DeliveryRepo, DeliveryState } from '../relay-port.ts'
import { int, text, toDelivery } from './rows.ts'
import type { Run } from './run.ts'

const COLUMNS = `message_id, target_key, link_id, network, address, conversation_key, seq, state, attempts,
  native_id, error_code, error_message, created_at, updated_at, delivered_at`
// seq is computed in the same statement as the insert (through deliveries_order), so no other
// writer can take it in between; an existing (message_id, target_key) returns no row.
/** Exported for the query-plan test. */
export const CREATE = `INSERT INTO deliveries (message_id, target_key, link_id, network, address, conversation_key,
    seq, state, attempts, created_at, updated_at)
  SELECT ?, ?, ?, ?, ?, ?, COALESCE(MAX(seq), 0) + 1, 'pending', 0, ?, ?
    FROM deliveries WHERE target_key = ? AND conversation_key = ?
  ON CONFLICT (message_id, target_key) DO NOTHING
  RETURNING ${COLUMNS}`
const SELECT_ONE = `SELECT ${COLUMNS} FROM deliveries WHERE message_id = ? AND target_key = ?`
// The deliver stage's one read; d.* names spelled out so the row maps like SELECT_ONE's.
const SELECT_WITH_MESSAGE = `SELECT ${COLUMNS.replace(/(\w+)/g, 'd.$1')}, m.message
  FROM deliveries d JOIN messages m ON m.id = d.message_id
  WHERE d.message_id = ? AND d.target_key = ?`
const SELECT_BY_MESSAGE = `SELECT ${COLUMNS} FROM deliveries WHERE message_id = ? ORDER BY target_key`
const MARK_DELIVERED = `UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, native_id = ?,
    error_code = NULL, error_message = NULL, delivered_at = ?, updated_at = ?
  WHERE message_id = ? AND target_key = ? AND state IN ('pending', 'dead')`
const MARK_FAILED = `UPDATE deliveries SET state = ?, attempts = attempts + 1, error_code = ?, error_message = ?,
    updated_at = ?
  WHERE message_id = ? AND target_key = ? AND state = 'pending'`
const MARK_REFUSED = `UPDATE deliveries SET state = 'refused', error_code = ?, error_message = ?, updated_at = ?
  WHERE message_id = ? AND target_key = ? AND state = 'pending'`
const REVIVE = `UPDATE deliveries SET state = 'pending', updated_at = ?
  WHERE message_id = ? AND target_key = ? AND state = 'dead'`
const COUNT = 'SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state'
// The literal state = 'pending' lets SQLite use the partial index deliveries_pending.
/** Exported for the query-plan test. */
export const PENDING_BEFORE = `SELECT 1 AS found FROM deliveries
  WHERE target_key = ? AND conversation_key = ? AND seq < ? AND state = 'pending' LIMIT 1`

/**
 * The delivery repo on the `deliveries` table (WITHOUT ROWID, keyed by message and target).
 * Every state change is one conditional UPDATE, so a repeated or late call is a no-op rather
 * than a lost update, across processes too. `createMany` runs its statements atomically in the
 * current transaction (or its own). Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteDeliveries(run: Run): DeliveryRepo {
  return {
    createMany: (messageId, conversationKey, targets) =>
      run((conn) => {
        checkText('delivery messageId', messageId)
        checkText('delivery conversationKey', conversationKey)
        const checked = checkTargets(targets)
        if (checked.length === 0) return []
        const now = Date.now()
        return conn.atomic(() =>
          checked.map((t) => {
            const created = conn.all(
              CREATE,
              messageId,
              t.targetKey,
              t.linkId,
              t.network,
              t.address,
              conversationKey,
              now,
              now,
              t.targetKey,
              conversationKey,
            )[0]
            return toDelivery(created ?? conn.get(SELECT_ONE, messageId, t.targetKey)!)
          }),
        )
      }),

    get: (messageId, targetKey) =>
      run((conn) => {
        const row = conn.get(SELECT_ONE, ...checkKey(messageId, targetKey))
        return row === undefined ? undefined : toDelivery(row)
      }),

    getWithMessage: (messageId, targetKey) =>
      run((conn) => {
        const row = conn.get(SELECT_WITH_MESSAGE, ...checkKey(messageId, targetKey))
        if (row === undefined) return undefined
        return { delivery: toDelivery(row), message: JSON.parse(text(row, 'message')) as BridgeMessage }
      }),

    listByMessage: (messageId) =>
      run((conn) => conn.all(SELECT_BY_MESSAGE, checkText('delivery messageId', messageId)).map(toDelivery)),

    markDelivered: (messageId, targetKey, receipt) =>
      run((conn) => {
        const key = checkKey(messageId, targetKey)
        if (typeof receipt !== 'object' || receipt === null)
          throw invalidArgument('receipt', `must be an object, got ${describeType(receipt)}`)
        if (receipt.at === undefined) throw invalidArgument('receipt at', 'is required')
        const at = checkInstant('receipt at', receipt.at)
        const nativeId =
          receipt.nativeId === undefined ? null : checkText('receipt nativeId', receipt.nativeId, true)
        return conn.run(MARK_DELIVERED, nativeId, at, Date.now(), ...key) > 0
      }),

    markFailed: (messageId, targetKey, error, dead) =>
      run((conn) => {
        const key = checkKey(messageId, targetKey)
        const { code, message } = checkError('delivery error', error)
        if (typeof dead !== 'boolean')
          throw invalidArgument('dead', `must be a boolean, got ${describeType(dead)}`)
        conn.run(MARK_FAILED, dead ? 'dead' : 'pending', code, message, Date.now(), ...key)
      }),

    markRefused: (messageId, targetKey, error) =>
      run((conn) => {
        const key = checkKey(messageId, targetKey)
        const { code, message } = checkError('refusal', error)
        conn.run(MARK_REFUSED, code, message, Date.now(), ...key)
      }),

    revive: (messageId, targetKey) =>
      run((conn) => conn.run(REVIVE, Date.now(), ...checkKey(messageId, targetKey)) > 0),

    countByState: () =>
      run((conn) => {
        const counts: Record<DeliveryState, number> = { pending: 0, delivered: 0, dead: 0, refused: 0 }
        for (const row of conn.all(COUNT)) counts[text(row, 'state') as DeliveryState] = int(row, 'n')
        return counts
      }),

    hasPendingBefore: (targetKey, conversationKey, seq) =>
      run((conn) => {
        const row = conn.get(
          PENDING_BEFORE,
          checkText('delivery targetKey', targetKey),
          checkText('delivery conversationKey', conversationKey),
          checkInteger('seq', seq),
        )
        return row !== undefined
      }),
  }
}

function checkKey(messageId: unknown, targetKey: unknown): [string, string] {
  return [checkText('delivery messageId', messageId), checkText('delivery targetKey', targetKey)]
}
