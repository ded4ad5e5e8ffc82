import { checkText } from '../input.ts'
import { checkTrace } from '../relay-input.ts'
import type { TraceRepo } from '../relay-port.ts'
import { toTrace } from './rows.ts'
import type { Run } from './run.ts'

const INSERT = `INSERT INTO traces (message_id, target_key, stage, attempt, started_at, duration_ms, outcome,
    error_code, error_message, process_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
// traces_message (message_id, started_at) holds the rowid too, so this reads in index order.
/** Exported for the query-plan test. */
export const SELECT_BY_MESSAGE = `SELECT id, message_id, target_key, stage, attempt, started_at, duration_ms, outcome,
    error_code, error_message, process_id
  FROM traces WHERE message_id = ? ORDER BY started_at, id`

/**
 * The trace repo on the `traces` table: append-only, one row per attempt, id = the rowid.
 * Each method runs through `run`. @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteTraces(run: Run): TraceRepo {
  return {
    append: (input) =>
      run((conn) => {
        const t = checkTrace(input)
        conn.run(
          INSERT,
          t.messageId,
          t.targetKey,
          t.stage,
          t.attempt,
          t.startedAt,
          t.durationMs,
          t.outcome,
          t.error?.code ?? null,
          t.error?.message ?? null,
          t.processId,
        )
      }),

    listByMessage: (messageId) =>
      run((conn) => conn.all(SELECT_BY_MESSAGE, checkText('trace messageId', messageId)).map(toTrace)),
  }
}
