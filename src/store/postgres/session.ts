import { txAborted, txMisuse } from '../errors.ts'
import type { Db, Run } from './db.ts'

/**
 * The state of one attempt of a `Store.transaction(fn)`: whether `tx` may still be used, the
 * first failure of a call on it, and the calls still running (awaited before COMMIT, so a
 * call fn did not await cannot fail after the decision to commit).
 */
export class TxSession {
  active = true
  failure: { error: unknown } | undefined
  readonly #running = new Set<Promise<unknown>>()

  /**
   * How the repos of `tx` reach the transaction's connection: refused once fn settled
   * (STORE_TX_MISUSE) or after a failed call (STORE_TX_ABORTED); the first call that fails
   * aborts the transaction.
   */
  run(db: Db): Run {
    return (work) => {
      if (!this.active)
        return Promise.reject(txMisuse('a transaction tx was used after its transaction(fn) had settled'))
      if (this.failure !== undefined) return Promise.reject(txAborted(this.failure.error))
      const call = Promise.resolve()
        .then(() => work(db))
        .catch((err: unknown) => {
          // A statement queued behind the failed one fails too (25P02): report the first.
          if (this.failure !== undefined) throw txAborted(this.failure.error)
          this.failure = { error: err }
          throw err
        })
      const settled = call.then(
        () => undefined,
        () => undefined,
      )
      this.#running.add(settled)
      void settled.then(() => this.#running.delete(settled))
      return call
    }
  }

  /** Resolves once every call made on `tx` has settled. */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running])
  }
}
