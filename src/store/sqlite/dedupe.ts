import { checkInstant, checkText, expiryFor } from '../input.ts'
import type { DedupeRepo } from '../port.ts'
import type { Run } from './run.ts'

// Re-recording an expired mark replaces it; a live mark is left alone and returns no row.
const REMEMBER = `INSERT INTO dedupe (scope, id, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (scope, id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE dedupe.expires_at IS NOT NULL AND dedupe.expires_at <= ?
  RETURNING 1 AS fresh`

/**
 * The dedupe repo on the `dedupe` table; a mark with `expires_at <= now` counts as absent, and
 * `remember` decides in one statement, so two processes never both get true. Each method runs
 * through `run`. @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteDedupe(run: Run): DedupeRepo {
  return {
    remember: (scope, id, ttlMs) =>
      run((conn) => {
        checkText('dedupe scope', scope)
        checkText('dedupe id', id)
        const now = Date.now()
        return conn.all(REMEMBER, scope, id, expiryFor(now, ttlMs), now).length > 0
      }),

    has: (scope, id) =>
      run((conn) => {
        checkText('dedupe scope', scope)
        checkText('dedupe id', id)
        const row = conn.get(
          'SELECT 1 AS found FROM dedupe WHERE scope = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)',
          scope,
          id,
          Date.now(),
        )
        return row !== undefined
      }),

    purgeExpired: (now) =>
      run((conn) =>
        conn.run(
          'DELETE FROM dedupe WHERE expires_at IS NOT NULL AND expires_at <= ?',
          checkInstant('now', now),
        ),
      ),
  }
}
