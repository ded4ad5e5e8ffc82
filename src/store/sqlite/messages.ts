import type { BridgeMessage } from '../../core/message.ts'
import { invalidArgument } from '../errors.ts'
import { checkInstant, checkText, describeType } from '../input.ts'
import { checkPositiveInteger } from '../relay-input.ts'
import type { MessageRepo, MessageState } from '../relay-port.ts'
import { int, intOrNull, text } from './rows.ts'
import type { Run } from './run.ts'

const INSERT = `INSERT INTO messages (id, message, source, state, received_at) VALUES (?, ?, ?, 'ingested', ?)
  ON CONFLICT (id) DO NOTHING`
const SELECT = 'SELECT message, source, state, received_at, routed_at FROM messages WHERE id = ?'
const MARK_ROUTED = "UPDATE messages SET state = 'routed', routed_at = ? WHERE id = ? AND state = 'ingested'"
// The literal state = 'ingested' lets SQLite use the partial index messages_ingested.
/** Exported for the query-plan test. */
export const LIST_INGESTED = `SELECT id FROM messages WHERE state = 'ingested' AND received_at <= ?
  ORDER BY received_at, rowid LIMIT ?`
const COUNT_INGESTED = "SELECT COUNT(*) AS n FROM messages WHERE state = 'ingested'"

/**
 * The message repo on the `messages` table: the message as JSON text, so every string in it
 * round-trips exactly. `insert` decides the dedupe in one statement (ON CONFLICT DO NOTHING),
 * so two processes never both get true. Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteMessages(run: Run): MessageRepo {
  return {
    insert: (message, source) =>
      run((conn) => {
        if (typeof message !== 'object' || message === null)
          throw invalidArgument('message', `must be an object, got ${describeType(message)}`)
        const id = checkText('message id', message.id)
        checkText('message source', source)
        return conn.run(INSERT, id, JSON.stringify(message), source, Date.now()) > 0
      }),

    get: (id) =>
      run((conn) => {
        const row = conn.get(SELECT, checkText('message id', id))
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
      run((conn) => {
        conn.run(MARK_ROUTED, Date.now(), checkText('message id', id))
      }),

    listIngested: (olderThan, limit) =>
      run((conn) => {
        if (olderThan === undefined) throw invalidArgument('olderThan', 'is required')
        const until = checkInstant('olderThan', olderThan)
        const rows = conn.all(LIST_INGESTED, until, checkPositiveInteger('limit', limit))
        return rows.map((row) => text(row, 'id'))
      }),

    countIngested: () => run((conn) => int(conn.get(COUNT_INGESTED)!, 'n')),
  }
}
