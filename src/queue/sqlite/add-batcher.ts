import type { QueueDatabase } from './database.ts'
import { insertJobs, type NewJob } from './jobs.ts'

interface PendingAdd {
  readonly queue: string
  readonly jobs: readonly NewJob[]
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/**
 * Group commit for `add`: the adds made during one turn of the event loop are written in one
 * transaction (one WAL commit instead of one each), then every caller's promise settles —
 * all resolved when it committed, all rejected with its error when it did not. Under load
 * (many handlers adding follow-up jobs) this multiplies the rate of single-job adds.
 */
export class AddBatcher {
  readonly #db: QueueDatabase
  readonly #committed: (queues: ReadonlySet<string>) => void
  #pending: PendingAdd[] = []
  #scheduled = false

  /** `committed` is told which queues got jobs (to wake local workers). */
  constructor(db: QueueDatabase, committed: (queues: ReadonlySet<string>) => void) {
    this.#db = db
    this.#committed = committed
  }

  /** Resolves once `jobs` are committed (ids the queue has are skipped); rejects with the SQLite error. */
  add(queue: string, jobs: readonly NewJob[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ queue, jobs, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Writes what is pending now (close calls it). Never throws: errors go to the callers. */
  flush(): void {
    this.#scheduled = false
    if (this.#pending.length === 0) return
    const batch = this.#pending
    this.#pending = []
    const now = Date.now()
    try {
      this.#db.transaction(() => {
        for (const add of batch) insertJobs(this.#db, add.queue, add.jobs, now)
      })
    } catch (err) {
      for (const add of batch) add.reject(err)
      return
    }
    for (const add of batch) add.resolve()
    this.#committed(new Set(batch.map((add) => add.queue)))
  }
}
