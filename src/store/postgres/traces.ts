import { checkText } from '../input.ts'
import { checkTrace } from '../relay-input.ts'
import type { TraceRepo } from '../relay-port.ts'
import type { Run } from './db.ts'
import { toTrace } from './rows.ts'

const INSERT = `INSERT INTO traces (message_id, target_key, stage, attempt, started_at, duration_ms, outcome,
    error_code, error_message, process_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
// traces_message (message_id, started_at, id) gives this order without a sort.
const SELECT_BY_MESSAGE = `SELECT id, message_id, target_key, stage, attempt, started_at, duration_ms, outcome,
    error_code, error_message, process_id
  FROM traces WHERE message_id = $1 ORDER BY started_at, id`

/**
 * The trace repo on the `traces` table: append-only, one row per attempt, id from an identity
 * column (a later append gets a larger id). Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT.
 */
export function pgTraces(run: Run): TraceRepo {
  return {
    append: (input) =>
      run(async (db) => {
        const t = checkTrace(input)
        await db.count(INSERT, [
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
        ])
      }),

    listByMessage: (messageId) =>
      run(async (db) =>
        (await db.rows(SELECT_BY_MESSAGE, [checkText('trace messageId', messageId)])).map(toTrace),
      ),
  }
}
