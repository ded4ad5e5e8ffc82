import { checkInstant, checkText, expiryFor } from '../input.ts'
import type { DedupeRepo } from '../port.ts'
import type { Run } from './db.ts'

// Re-recording an expired mark replaces it; a live mark is left alone and returns no row.
const REMEMBER = `INSERT INTO dedupe (scope, id, expires_at) VALUES ($1, $2, $3)
  ON CONFLICT (scope, id) DO UPDATE SET expires_at = EXCLUDED.expires_at
    WHERE dedupe.expires_at IS NOT NULL AND dedupe.expires_at <= $4
  RETURNING 1 AS fresh`
const HAS = `SELECT 1 AS found FROM dedupe
  WHERE scope = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > $3)`
const PURGE = 'DELETE FROM dedupe WHERE expires_at IS NOT NULL AND expires_at <= $1'

/**
 * The dedupe repo on the `dedupe` table; a mark with `expires_at <= now` counts as absent, and
 * `remember` decides in one statement, so two processes never both get true. Each method runs
 * through `run`. @throws STORE_INVALID_ARGUMENT.
 */
export function pgDedupe(run: Run): DedupeRepo {
  return {
    remember: (scope, id, ttlMs) =>
      run(async (db) => {
        checkText('dedupe scope', scope)
        checkText('dedupe id', id)
        const now = Date.now()
        return (await db.rows(REMEMBER, [scope, id, expiryFor(now, ttlMs), now])).length > 0
      }),

    has: (scope, id) =>
      run(async (db) => {
        checkText('dedupe scope', scope)
        checkText('dedupe id', id)
        return (await db.rows(HAS, [scope, id, Date.now()])).length > 0
      }),

    purgeExpired: (now) => run(async (db) => db.count(PURGE, [checkInstant('now', now)])),
  }
}
