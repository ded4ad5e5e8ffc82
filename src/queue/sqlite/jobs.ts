import type { QueueCounts } from '../port.ts'
import type { QueueDatabase, Row } from './database.ts'

/**
 * The SQL of the embedded queue, one function per operation, over `queue_jobs`. Rows are in
 * one of four states: `pending` (waiting when run_at <= now, delayed otherwise), `active`
 * (leased to `locked_by` until `locked_until`), `completed` (kept for idempotent add until
 * purged; run_at = when it completed) and `dead` (run_at = when it died). All functions are
 * synchronous and may throw SQLite errors; the callers choose the transaction.
 */

/** A job as inserted by `add`. */
export interface NewJob {
  readonly id: string
  readonly data: string
  readonly runAt: number
}

/** A job as claimed by a worker. */
export interface ClaimedJob {
  readonly id: string
  readonly data: string
  readonly attemptsMade: number
  readonly enqueuedAt: number
}

/** How an attempt ended; `apply` records it if the job is still leased to `token`. */
export type Outcome =
  | { readonly kind: 'completed'; readonly id: string }
  | {
      readonly kind: 'retry' | 'dead'
      readonly id: string
      readonly attempt: number
      readonly runAt: number
      readonly code: string
      readonly message: string
    }

/** Inserts jobs, skipping ids the queue already has (any state). Returns how many were new. */
export function insertJobs(db: QueueDatabase, queue: string, jobs: readonly NewJob[], now: number): number {
  let added = 0
  for (const job of jobs) {
    added += db.run(
      `INSERT INTO queue_jobs (queue, id, state, data, run_at, enqueued_at) VALUES (?, ?, 'pending', ?, ?, ?)
       ON CONFLICT (queue, id) DO NOTHING`,
      queue,
      job.id,
      job.data,
      job.runAt,
      now,
    )
  }
  return added
}

/** Leases up to `limit` runnable jobs of `queue` to `token` until now + lockMs, oldest first. */
export function claimJobs(
  db: QueueDatabase,
  queue: string,
  token: string,
  now: number,
  lockMs: number,
  limit: number,
): ClaimedJob[] {
  const rows = db.all(
    `UPDATE queue_jobs SET state = 'active', locked_by = ?, locked_until = ?
     WHERE rowid IN (SELECT rowid FROM queue_jobs WHERE queue = ? AND state = 'pending' AND run_at <= ?
                     ORDER BY run_at, rowid LIMIT ?)
     RETURNING rowid AS seq, id, data, attempts_made, enqueued_at`,
    token,
    now + lockMs,
    queue,
    now,
    limit,
  )
  rows.sort((a, b) => Number(a.seq) - Number(b.seq))
  return rows.map((row) => ({
    id: String(row.id),
    data: String(row.data),
    attemptsMade: Number(row.attempts_made),
    enqueuedAt: Number(row.enqueued_at),
  }))
}

/** Records one attempt's end; a no-op when the lease was lost (the job was redelivered). */
export function applyOutcome(
  db: QueueDatabase,
  queue: string,
  token: string,
  outcome: Outcome,
  now: number,
): void {
  if (outcome.kind === 'completed') {
    db.run(
      `UPDATE queue_jobs SET state = 'completed', data = NULL, run_at = ?, locked_by = NULL, locked_until = NULL,
         error_code = NULL, error_message = NULL
       WHERE queue = ? AND id = ? AND state = 'active' AND locked_by = ?`,
      now,
      queue,
      outcome.id,
      token,
    )
    return
  }
  db.run(
    `UPDATE queue_jobs SET state = ?, attempts_made = ?, run_at = ?, locked_by = NULL, locked_until = NULL,
       error_code = ?, error_message = ?
     WHERE queue = ? AND id = ? AND state = 'active' AND locked_by = ?`,
    outcome.kind === 'retry' ? 'pending' : 'dead',
    outcome.attempt,
    outcome.runAt,
    outcome.code,
    outcome.message,
    queue,
    outcome.id,
    token,
  )
}

/** Extends the leases `token` holds on `queue` to now + lockMs. */
export function renewLeases(
  db: QueueDatabase,
  queue: string,
  token: string,
  now: number,
  lockMs: number,
): void {
  db.run(
    `UPDATE queue_jobs SET locked_until = ? WHERE queue = ? AND state = 'active' AND locked_by = ?`,
    now + lockMs,
    queue,
    token,
  )
}

/**
 * Makes jobs whose lease expired (their worker died) runnable again at once, counting the
 * stall; a job already redelivered `maxStalls` times goes to dead letters with `stalled`.
 */
export function reapExpired(
  db: QueueDatabase,
  queue: string,
  now: number,
  maxStalls: number,
  stalled: { code: string; message: string },
): void {
  db.run(
    `UPDATE queue_jobs SET state = 'dead', run_at = ?, stalls = stalls + 1, locked_by = NULL, locked_until = NULL,
       error_code = ?, error_message = ?
     WHERE queue = ? AND state = 'active' AND locked_until < ? AND stalls >= ?`,
    now,
    stalled.code,
    stalled.message,
    queue,
    now,
    maxStalls,
  )
  db.run(
    `UPDATE queue_jobs SET state = 'pending', run_at = ?, stalls = stalls + 1, locked_by = NULL, locked_until = NULL
     WHERE queue = ? AND state = 'active' AND locked_until < ?`,
    now,
    queue,
    now,
  )
}

/** Forgets up to `limit` jobs of `queue` completed before `before`. Returns how many. */
export function purgeCompleted(db: QueueDatabase, queue: string, before: number, limit: number): number {
  return db.run(
    `DELETE FROM queue_jobs WHERE rowid IN (SELECT rowid FROM queue_jobs
       WHERE queue = ? AND state = 'completed' AND run_at < ? LIMIT ?)`,
    queue,
    before,
    limit,
  )
}

/** How many jobs of `queue` are in each state at `now`. */
export function countJobs(db: QueueDatabase, queue: string, now: number): QueueCounts {
  const count = (where: string, ...params: number[]): number =>
    Number(
      db.get(`SELECT count(*) AS n FROM queue_jobs WHERE queue = ? AND ${where}`, queue, ...params)?.n ?? 0,
    )
  return {
    waiting: count(`state = 'pending' AND run_at <= ?`, now),
    active: count(`state = 'active'`),
    delayed: count(`state = 'pending' AND run_at > ?`, now),
    dead: count(`state = 'dead'`),
  }
}

/** Dead jobs of `queue`, newest first. */
export function listDead(db: QueueDatabase, queue: string, limit: number, offset: number): Row[] {
  return db.all(
    `SELECT id, data, attempts_made, error_code, error_message, run_at FROM queue_jobs
     WHERE queue = ? AND state = 'dead' ORDER BY run_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    queue,
    limit,
    offset,
  )
}

/** Moves a dead job back to waiting, attempts and stalls reset. Whether there was one. */
export function reviveDead(db: QueueDatabase, queue: string, id: string, now: number): boolean {
  const changed = db.run(
    `UPDATE queue_jobs SET state = 'pending', attempts_made = 0, stalls = 0, run_at = ?,
       error_code = NULL, error_message = NULL
     WHERE queue = ? AND id = ? AND state = 'dead'`,
    now,
    queue,
    id,
  )
  return changed > 0
}
