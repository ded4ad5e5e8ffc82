import { extname } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** How often the checkpoint thread moves the WAL's frames into the database file. */
const CHECKPOINT_INTERVAL_MS = 500

/** The WAL checkpoints of one database file, run off the event loop. */
export interface Checkpointer {
  /** Asks the thread to finish its checkpoint and close; returns at once. Idempotent. */
  stop(): void
}

/**
 * Puts `db` in WAL mode with `synchronous=NORMAL` (a commit survives a crash of the process;
 * only an OS crash may lose the last ones) and moves checkpoints to a worker thread.
 *
 * Why: a checkpoint fsyncs the WAL and the database file, and SQLite runs it inside whichever
 * COMMIT crosses `wal_autocheckpoint` — on node:sqlite that blocks the event loop. Measured
 * here, checkpoints were 75% of the cost of a commit. So this connection never checkpoints,
 * and a second connection in a worker thread runs a PASSIVE checkpoint every 500 ms (it
 * never waits for or blocks a writer). Closing the last connection checkpoints what is left.
 */
export function useWal(db: DatabaseSync, path: string): Checkpointer {
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  if (path === ':memory:') return { stop: () => {} }
  db.exec('PRAGMA wal_autocheckpoint = 0')
  // Source runs as .ts (type stripping), the build as .js: the worker file has our own extension.
  const own = extname(fileURLToPath(import.meta.url))
  const worker = new Worker(new URL(`./checkpoint-thread${own}`, import.meta.url), {
    workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS },
  })
  worker.unref()
  // A failed checkpoint is retried on the next tick, and the closing connection checkpoints
  // anyway; the thread has nothing to report that the writer would not see itself.
  worker.on('error', () => {})
  let stopped = false
  return {
    stop() {
      if (stopped) return
      stopped = true
      worker.postMessage('stop')
    },
  }
}
