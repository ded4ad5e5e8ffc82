import type { BridgeMessage } from '../../core/message.ts'
import { invalidArgument } from '../errors.ts'
import { checkInstant, checkText, describeType } from '../input.ts'
import { checkPositiveInteger } from '../relay-input.ts'
import type { MessageRepo, MessageState } from '../relay-port.ts'
import type { Run } from './db.ts'
import { int, intOrNull, text } from './rows.ts'

const INSERT = `INSERT INTO messages (id, message, source, state, received_at) VALUES ($1, $2, $3, 'ingested', $4)
  ON CONFLICT (id) DO NOTHING`
const SELECT = 'SELECT message, source, state, received_at, routed_at FROM messages WHERE id = $1'
const MARK_ROUTED =
  "UPDATE messages SET state = 'routed', routed_at = $1 WHERE id = $2 AND state = 'ingested'"
// The literal state = 'ingested' matches the partial index messages_ingested (received_at, ord).
const LIST_INGESTED = `SELECT id FROM messages WHERE state = 'ingested' AND received_at <= $1
  ORDER BY received_at, ord LIMIT $2`
const COUNT_INGESTED = "SELECT COUNT(*) AS n FROM messages WHERE state = 'ingested'"

/**
 * The message repo on the `messages` table: the message as JSON text (TEXT, not JSONB, so
 * that \u0000 and every other string round-trips exactly). `insert` decides the dedupe in one
 * statement (ON CONFLICT DO NOTHING), so two processes never both get true. Each method runs
 * through `run`. @throws STORE_INVALID_ARGUMENT.
 */
export function pgMessages(run: Run): MessageRepo {
  return {
    insert: (message, source) =>
      run(async (db) => {
        if (typeof message !== 'object' || message === null)
          throw invalidArgument('message', `must be an object, got ${describeType(message)}`)
        const id = checkText('message id', message.id)
        checkText('message source', source)
        return (await db.count(INSERT, [id, JSON.stringify(message), source, Date.now()])) > 0
      }),

    get: (id) =>
      run(async (db) => {
        const [row] = await db.rows(SELECT, [checkText('message id', id)])
        if (row === undefined) return undefined
        return {
          message: JSON.parse(text(row, 'message')) as BridgeMessage,
          source: text(row, 'source'),
          state: text(row, 'state') as MessageState,
          receivedAt: int(row, 'received_at'),
          routedAt: intOrNull(row, 'routed_at'),
        }
      }),

    markRouted: (id) =>
      run(async (db) => {
        await db.count(MARK_ROUTED, [Date.now(), checkText('message id', id)])
      }),

    listIngested: (olderThan, limit) =>
      run(async (db) => {
        if (olderThan === undefined) throw invalidArgument('olderThan', 'is required')
        const until = checkInstant('olderThan', olderThan)
        const rows = await db.rows(LIST_INGESTED, [until, checkPositiveInteger('limit', limit)])
        return rows.map((row) => text(row, 'id'))
      }),

    countIngested: () =>
      run(async (db) => {
        const [row] = await db.rows(COUNT_INGESTED)
        return int(row!, 'n')
      }),
  }
}
