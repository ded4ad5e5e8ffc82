/**
 * The worker thread of `useWal` (wal.ts): its own connection to the database, which only runs
 * PASSIVE checkpoints, so their fsyncs never block the event loop of the writer.
 */
import { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'

const { path, intervalMs } = workerData as { path: string; intervalMs: number }
const db = new DatabaseSync(path, { timeout: 1000 })
const timer = setInterval(() => {
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or closing: the next tick tries again.
  }
}, intervalMs)

parentPort?.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort?.close()
})
