import { expect, it } from 'vitest'
import { type ConformanceContext, options, queueName, sleep, waitUntil } from './support.ts'

/** Opening, closing, and what a closed driver answers. */
export function lifecycleConformance(ctx: ConformanceContext): void {
  it('worker.close() waits for the active handlers and records them completed', async () => {
    const q = await ctx.open()
    const queue = queueName('close')
    let started = 0
    let finished = 0
    const worker = q.process(
      queue,
      async () => {
        started += 1
        await sleep(300)
        finished += 1
      },
      options({ concurrency: 2 }),
    )
    await q.add(queue, [
      { id: 'c-1', data: 1 },
      { id: 'c-2', data: 2 },
      { id: 'c-3', data: 3 },
    ])
    await waitUntil(() => started === 2, 5000, 'two handlers to start')
    await worker.close()
    expect(finished).toBe(2)
    expect(started).toBe(2)
    expect(await q.counts(queue)).toEqual({ waiting: 1, active: 0, delayed: 0, dead: 0 })
  })

  it('a closed driver refuses work with QUEUE_CLOSED; close is idempotent', async () => {
    const q = await ctx.open()
    const queue = queueName('closed')
    q.process(queue, async () => {}, options())
    await q.close()
    await q.close()
    await expect(q.add(queue, [{ id: 'late-1', data: 1 }])).rejects.toMatchObject({ code: 'QUEUE_CLOSED' })
    await expect(q.counts(queue)).rejects.toMatchObject({ code: 'QUEUE_CLOSED' })
    expect(() => q.process(queue, async () => {}, options())).toThrow(/closed/)
  })
}
