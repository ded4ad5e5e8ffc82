import { join } from 'node:path'
import { expect, it } from 'vitest'
import { readWorkerLog, startWorkerChild } from '../../../helpers/queue-child.ts'
import {
  type ConformanceContext,
  options,
  queueName,
  RunCounter,
  sleep,
  specs,
  waitUntil,
} from './support.ts'

/** Real worker processes: graceful drain on SIGTERM, redelivery after SIGKILL. */
export function processConformance(ctx: ConformanceContext): void {
  it('drains on SIGTERM: active jobs finish, the process exits 0, nothing runs twice', async () => {
    const q = await ctx.open()
    const queue = queueName('drain')
    const log = join(ctx.dir(), `${queue}.log`)
    await q.add(queue, specs('job', 12))
    const worker = await startWorkerChild({
      config: ctx.env.config(),
      queue,
      log,
      sleepMs: 400,
      concurrency: 4,
    })
    await waitUntil(() => started(log).length >= 4, 10_000, 'the child to start 4 jobs')
    worker.child.kill('SIGTERM')
    const code = await worker.exited
    expect(code, worker.stderr()).toBe(0)
    const childStarted = started(log)
    const childDone = done(log)
    expect(childStarted.length).toBeGreaterThanOrEqual(4)
    expect(childStarted.length).toBeLessThan(12)
    expect([...childDone].sort()).toEqual([...childStarted].sort()) // every job it began, it finished
    expect(new Set(childStarted).size).toBe(childStarted.length)
    expect((await q.counts(queue)).active).toBe(0)

    const counter = new RunCounter()
    q.process(queue, async (job) => counter.record(job.id), options({ concurrency: 4 }))
    await waitUntil(() => counter.runs.size === 12 - childDone.length, 10_000, 'the rest of the jobs')
    await sleep(200)
    const ranHere = [...counter.runs.keys()]
    expect(ranHere.filter((id) => childDone.includes(id))).toEqual([]) // none of the child's ran again
    expect(counter.duplicates()).toEqual([])
    expect(new Set([...ranHere, ...childDone]).size).toBe(12)
  })

  it('redelivers the job of a SIGKILLed worker within 10 s, keeping its attempt number', async () => {
    const q = await ctx.open()
    const queue = queueName('crash')
    const log = join(ctx.dir(), `${queue}.log`)
    await q.add(queue, [{ id: 'crash-1', data: { n: 1 } }])
    const worker = await startWorkerChild({
      config: ctx.env.config(),
      queue,
      log,
      sleepMs: 60_000,
      concurrency: 1,
    })
    await waitUntil(() => started(log).includes('crash-1'), 10_000, 'the child to start the job')
    worker.child.kill('SIGKILL')
    await worker.exited
    const killedAt = Date.now()
    expect((await q.counts(queue)).active).toBe(1) // its lease outlives it

    const runs: Array<{ id: string; attempt: number; at: number }> = []
    q.process(
      queue,
      async (job) => void runs.push({ id: job.id, attempt: job.attempt, at: Date.now() }),
      options(),
    )
    await waitUntil(() => runs.length === 1, 12_000, 'the job to be redelivered')
    const first = runs[0]
    expect(first?.id).toBe('crash-1')
    expect(first?.attempt).toBe(1)
    expect((first?.at ?? Infinity) - killedAt).toBeLessThan(10_000)
    await waitUntil(async () => (await q.counts(queue)).active === 0, 5000, 'completion')
    expect(await q.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 0 })
  }, 30_000)
}

function started(log: string): string[] {
  return readWorkerLog(log)
    .filter(([event]) => event === 'start')
    .map(([, id]) => id)
}

function done(log: string): string[] {
  return readWorkerLog(log)
    .filter(([event]) => event === 'done')
    .map(([, id]) => id)
}
