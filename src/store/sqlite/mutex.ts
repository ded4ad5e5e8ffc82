/**
 * A first-in, first-out async lock: `run` calls its work only after every work queued before
 * it has settled, so async work (a transaction spanning awaits) never interleaves with
 * another. Not reentrant: work that calls `run` on the same mutex and awaits it waits forever.
 */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  /** Queues `work`; resolves or rejects as it does. Never blocks the event loop itself. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(work)
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}
