import { expect, it } from 'vitest'
import { BridgeError, InvalidInputError } from '../../../../src/core/errors.ts'
import {
  type ConformanceContext,
  options,
  queueName,
  RunCounter,
  sleep,
  specs,
  waitUntil,
} from './support.ts'

/** Delivery: every job runs, once per id; delays; concurrency; counts. */
export function deliveryConformance(ctx: ConformanceContext): void {
  it('runs every one of N jobs, with two drivers competing for them', async () => {
    const [a, b] = [await ctx.open(), await ctx.open()]
    const queue = queueName('deliver')
    const counter = new RunCounter()
    const handler = async (job: { id: string }): Promise<void> => counter.record(job.id)
    a.process(queue, handler, options({ concurrency: 8 }))
    b.process(queue, handler, options({ concurrency: 8 }))
    const jobs = specs('m', 500)
    for (let i = 0; i < jobs.length; i += 100) await a.add(queue, jobs.slice(i, i + 100))
    await waitUntil(() => counter.runs.size === 500, 15_000, 'all 500 jobs to run')
    await sleep(100)
    expect(counter.duplicates()).toEqual([])
    expect(counter.total).toBe(500)
    await waitUntil(async () => (await a.counts(queue)).active === 0, 5000, 'no active job')
    expect(await a.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 0 })
  })

  it('gives handlers the job as added: id, queue, data, attempt 1, maxAttempts, enqueuedAt', async () => {
    const q = await ctx.open()
    const queue = queueName('shape')
    const before = Date.now()
    await q.add(queue, [{ id: 'shape-1', data: { text: 'héllo', n: [1, 2], ok: true, none: null } }])
    const seen: unknown[] = []
    q.process(queue, async (job) => void seen.push(job), options({ attempts: 7 }))
    await waitUntil(() => seen.length === 1, 5000, 'the job to run')
    const job = seen[0] as Record<string, unknown>
    expect(job).toMatchObject({
      id: 'shape-1',
      queue,
      data: { text: 'héllo', n: [1, 2], ok: true, none: null },
      attempt: 1,
      maxAttempts: 7,
    })
    expect(job.enqueuedAt).toBeGreaterThanOrEqual(before - 1)
    expect(job.enqueuedAt).toBeLessThanOrEqual(Date.now())
  })

  it('adds idempotently by id: twice in one batch, again later, again once completed', async () => {
    const q = await ctx.open()
    const queue = queueName('idem')
    await q.add(queue, [
      { id: 'same', data: 1 },
      { id: 'same', data: 2 },
    ])
    await q.add(queue, [{ id: 'same', data: 3 }])
    expect((await q.counts(queue)).waiting).toBe(1)
    const counter = new RunCounter()
    const data: unknown[] = []
    q.process(
      queue,
      async (job) => {
        counter.record(job.id)
        data.push(job.data)
      },
      options(),
    )
    await waitUntil(() => counter.total === 1, 5000, 'the job to run')
    await sleep(50)
    await q.add(queue, [{ id: 'same', data: 4 }])
    await sleep(300)
    expect(counter.total).toBe(1)
    expect(data).toEqual([1])
  })

  it('rejects invalid job ids with InvalidInputError, adding nothing of the batch', async () => {
    const q = await ctx.open()
    const queue = queueName('ids')
    for (const bad of ['a:b', '12345', '0', '', 'x'.repeat(300)]) {
      const err = await q
        .add(queue, [
          { id: 'fine-1', data: 1 },
          { id: bad, data: 2 },
        ])
        .catch((e: unknown) => e)
      expect(err, `id ${JSON.stringify(bad)}`).toBeInstanceOf(InvalidInputError)
      expect((err as InvalidInputError).code).toBe('QUEUE_INVALID_JOB_ID')
      expect((err as InvalidInputError).status).toBe(400)
    }
    const colon = (await q.add(queue, [{ id: 'msg:1', data: 1 }]).catch((e: unknown) => e)) as Error
    expect(colon.message).toContain('"msg:1"')
    expect(colon.message).toContain(':')
    const digits = (await q.add(queue, [{ id: '42', data: 1 }]).catch((e: unknown) => e)) as Error
    expect(digits.message).toMatch(/digits/)
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 0 })
    await expect(q.add('bad:queue', [{ id: 'ok', data: 1 }])).rejects.toMatchObject({
      code: 'QUEUE_INVALID_NAME',
    })
    await expect(q.add(queue, [{ id: 'ok', data: 1, delayMs: -1 }])).rejects.toMatchObject({
      code: 'QUEUE_INVALID_DELAY',
    })
    expect(() => q.process(queue, async () => {}, options({ concurrency: 0 }))).toThrow(InvalidInputError)
  })

  it('does not run a delayed job before its delay, and runs it after', async () => {
    const q = await ctx.open()
    const queue = queueName('delay')
    const ran: number[] = []
    q.process(queue, async () => void ran.push(Date.now()), options())
    const t0 = Date.now()
    await q.add(queue, [{ id: 'later', data: null, delayMs: 600 }])
    expect(await q.counts(queue)).toMatchObject({ waiting: 0, delayed: 1 })
    await waitUntil(() => ran.length === 1, 5000, 'the delayed job to run')
    const at = (ran[0] ?? 0) - t0
    expect(at).toBeGreaterThanOrEqual(598)
    expect(at).toBeLessThan(600 + 1500)
  })

  it('never runs more handlers at once than the concurrency (4 of 40 slow jobs)', async () => {
    const q = await ctx.open()
    const queue = queueName('conc')
    let running = 0
    let max = 0
    let done = 0
    await q.add(queue, specs('slow', 40))
    q.process(
      queue,
      async () => {
        running += 1
        max = Math.max(max, running)
        await sleep(40)
        running -= 1
        done += 1
      },
      options({ concurrency: 4 }),
    )
    await waitUntil(() => done === 40, 10_000, 'all 40 jobs')
    expect(max).toBe(4)
  })

  it('counts waiting, active, delayed and dead jobs', async () => {
    const q = await ctx.open()
    const queue = queueName('counts')
    await q.add<unknown>(queue, [
      { id: 'bad-1', data: 0 },
      ...specs('w', 4),
      { id: 'd-1', data: 0, delayMs: 60_000 },
    ])
    expect(await q.counts(queue)).toEqual({ waiting: 5, active: 0, delayed: 1, dead: 0 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const worker = q.process(
      queue,
      async (job) => {
        if (job.id === 'bad-1') throw new BridgeError('TEST_BAD', 'bad job', { retryable: false })
        await gate
      },
      options({ concurrency: 3 }),
    )
    await waitUntil(
      async () =>
        JSON.stringify(await q.counts(queue)) ===
        JSON.stringify({ waiting: 1, active: 3, delayed: 1, dead: 1 }),
      5000,
      'counts { waiting: 1, active: 3, delayed: 1, dead: 1 }',
    )
    release()
    await waitUntil(
      async () => (await q.counts(queue)).waiting + (await q.counts(queue)).active === 0,
      5000,
      'drain',
    )
    await worker.close()
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 1, dead: 1 })
  })
}
