/**
 * Collects the items submitted during one turn of the event loop and hands them to `flush`
 * together (up to `max` at a time); every submitter's promise settles with the batch. Used to
 * turn many single-job queue adds into one bulk add (one Redis round trip, one SQLite commit).
 */
export function tickBatch<T>(
  flush: (items: T[]) => Promise<void>,
  max = 500,
): (items: readonly T[]) => Promise<void> {
  const pending: { items: readonly T[]; resolve: () => void; reject: (err: unknown) => void }[] = []
  let scheduled = false
  const run = () => {
    scheduled = false
    const batch: typeof pending = []
    let size = 0
    while (pending.length && (size === 0 || size + (pending[0]?.items.length ?? 0) <= max)) {
      const next = pending.shift() as (typeof pending)[number]
      size += next.items.length
      batch.push(next)
    }
    if (pending.length) schedule()
    flush(batch.flatMap((b) => b.items)).then(
      () => {
        for (const b of batch) b.resolve()
      },
      (err) => {
        for (const b of batch) b.reject(err)
      },
    )
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(run)
  }
  return (items) => {
    if (items.length === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      pending.push({ items, resolve, reject })
      schedule()
    })
  }
}
