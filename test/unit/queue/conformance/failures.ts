import { expect, it } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import type { Job } from '../../../../src/queue/index.ts'
import { type ConformanceContext, options, queueName, sleep, waitUntil } from './support.ts'

/** How late a retry may run past its backoff (polling, timers, Redis round trips). */
const SLACK_MS = 400

/** Failures: retries with backoff, dead letters, non-retryable errors, retry from dead letters. */
export function failureConformance(ctx: ConformanceContext): void {
  it('retries a failing job with exponential backoff and jitter, capped, then completes it', async () => {
    const q = await ctx.open()
    const queue = queueName('backoff')
    const base = 80
    const cap = 200
    const runs: Array<{ attempt: number; at: number }> = []
    const failed: Array<[number, boolean]> = []
    q.process(
      queue,
      async (job) => {
        runs.push({ attempt: job.attempt, at: Date.now() })
        if (job.attempt < 4) throw new Error(`transient failure ${job.attempt}`)
      },
      options({
        attempts: 5,
        backoff: { baseMs: base, maxMs: cap },
        events: { onAttemptFailed: (job, _err, willRetry) => void failed.push([job.attempt, willRetry]) },
      }),
    )
    await q.add(queue, [{ id: 'flaky-1', data: null }])
    await waitUntil(() => runs.length === 4, 5000, '4 runs')
    await sleep(200)
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3, 4])
    expect(failed).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ])
    for (let n = 1; n < runs.length; n++) {
      const gap = (runs[n]?.at ?? 0) - (runs[n - 1]?.at ?? 0)
      const d = Math.min(cap, base * 2 ** (n - 1)) // 80, 160, 200 (capped)
      expect(gap, `gap after attempt ${n}`).toBeGreaterThanOrEqual(d / 2 - 2)
      expect(gap, `gap after attempt ${n}`).toBeLessThanOrEqual(d + SLACK_MS)
    }
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 0 })
  })

  it('moves a job to dead letters after max attempts, with the last error code and message', async () => {
    const q = await ctx.open()
    const queue = queueName('dead')
    const failed: Array<[number, boolean]> = []
    q.process(
      queue,
      async (job) => {
        throw new BridgeError('TEST_DOWN', `receiver down on attempt ${job.attempt}`, { retryable: true })
      },
      options({
        attempts: 3,
        events: { onAttemptFailed: (job, _err, willRetry) => void failed.push([job.attempt, willRetry]) },
      }),
    )
    const before = Date.now()
    await q.add(queue, [{ id: 'doomed-1', data: { to: 'x' } }])
    await waitUntil(async () => (await q.counts(queue)).dead === 1, 5000, 'the job in dead letters')
    expect(failed).toEqual([
      [1, true],
      [2, true],
      [3, false],
    ])
    const [dead] = await q.dead(queue)
    expect(dead).toMatchObject({
      id: 'doomed-1',
      queue,
      data: { to: 'x' },
      attempts: 3,
      error: { code: 'TEST_DOWN', message: 'receiver down on attempt 3' },
    })
    expect(dead?.failedAt).toBeGreaterThanOrEqual(before)
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 1 })
  })

  it('dead-letters a non-retryable BridgeError after one attempt; plain errors show HANDLER_ERROR', async () => {
    const q = await ctx.open()
    const queue = queueName('fatal')
    const runs: string[] = []
    const failed: boolean[] = []
    q.process(
      queue,
      async (job) => {
        runs.push(job.id)
        if (job.id === 'fatal-1')
          throw new BridgeError('TEST_REJECTED', 'receiver said 400', { retryable: false })
        throw new Error('boom at redis://user:hunter2@example.com:6379\nsecond line')
      },
      options({
        attempts: 5,
        events: { onAttemptFailed: (_job, _err, willRetry) => void failed.push(willRetry) },
      }),
    )
    await q.add(queue, [{ id: 'fatal-1', data: 1 }])
    await waitUntil(async () => (await q.counts(queue)).dead === 1, 5000, 'the job in dead letters')
    await sleep(150)
    expect(runs).toEqual(['fatal-1'])
    expect(failed).toEqual([false])
    expect((await q.dead(queue))[0]).toMatchObject({
      attempts: 1,
      error: { code: 'TEST_REJECTED', message: 'receiver said 400' },
    })
    const other = queueName('plain')
    q.process(
      other,
      async () => Promise.reject(new Error('boom at redis://user:hunter2@example.com:6379\nmore')),
      {
        ...options({ attempts: 1 }),
      },
    )
    await q.add(other, [{ id: 'plain-1', data: 1 }])
    await waitUntil(async () => (await q.counts(other)).dead === 1, 5000, 'the plain error in dead letters')
    const [plain] = await q.dead(other)
    expect(plain?.error.code).toBe('HANDLER_ERROR')
    expect(plain?.error.message).toContain('boom at redis://')
    expect(plain?.error.message).not.toContain('hunter2')
    expect(plain?.error.message).not.toContain('more')
  })

  it('retryDead runs a dead job again from attempt 1 and completes it; false for no such dead job', async () => {
    const q = await ctx.open()
    const queue = queueName('revive')
    let fixed = false
    const runs: Array<Pick<Job<unknown>, 'id' | 'attempt'>> = []
    q.process(
      queue,
      async (job) => {
        runs.push({ id: job.id, attempt: job.attempt })
        if (!fixed) throw new BridgeError('TEST_REJECTED', 'not yet', { retryable: false })
      },
      options({ attempts: 2 }),
    )
    await q.add(queue, [
      { id: 'revive-1', data: 1 },
      { id: 'ok-1', data: 2 },
    ])
    await waitUntil(async () => (await q.counts(queue)).dead === 2, 5000, 'two dead jobs')
    expect(await q.dead(queue, { limit: 1 })).toHaveLength(1)
    expect(await q.dead(queue, { limit: 10, offset: 1 })).toHaveLength(1)
    fixed = true
    expect(await q.retryDead(queue, 'revive-1')).toBe(true)
    await waitUntil(() => runs.length === 3, 5000, 'the revived job to run')
    expect(runs[2]).toEqual({ id: 'revive-1', attempt: 1 })
    await waitUntil(async () => (await q.counts(queue)).active === 0, 5000, 'completion')
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 1 })
    expect((await q.dead(queue)).map((d) => d.id)).toEqual(['ok-1'])
    expect(await q.retryDead(queue, 'revive-1')).toBe(false) // completed now
    expect(await q.retryDead(queue, 'never-added')).toBe(false)
    await q.add(queue, [{ id: 'ok-1', data: 3 }]) // dead: adding again is a no-op
    await sleep(150)
    expect(runs).toHaveLength(3)
  })

  it('a hook that throws does not change what happens to the job', async () => {
    const q = await ctx.open()
    const queue = queueName('hook')
    let runs = 0
    q.process(
      queue,
      async () => {
        runs += 1
        if (runs === 1) throw new Error('first fails')
      },
      options({
        events: {
          onAttemptFailed: () => {
            throw new Error('hook broke')
          },
        },
      }),
    )
    await q.add(queue, [{ id: 'hooked-1', data: 1 }])
    await waitUntil(() => runs === 2, 5000, 'the retry')
    await waitUntil(async () => (await q.counts(queue)).active === 0, 5000, 'completion')
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 0 })
  })

  it('worker.close(timeout) gives up on a handler that never ends, in about the timeout', async () => {
    const q = await ctx.open()
    const queue = queueName('hang')
    let started = false
    const worker = q.process(
      queue,
      () => {
        started = true
        return new Promise<void>(() => {})
      },
      options({ concurrency: 1 }),
    )
    await q.add(queue, [{ id: 'hang-1', data: 1 }])
    await waitUntil(() => started, 5000, 'the handler to start')
    const t0 = Date.now()
    await worker.close(300)
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(2000)
  })
}
