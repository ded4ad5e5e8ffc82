import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import type { QueueDriver } from '../../../src/queue/index.ts'
import { openSqliteQueue, type SqliteQueueOptions } from '../../../src/queue/sqlite/index.ts'
import { options, queueName, RunCounter, sleep, waitUntil } from './conformance/support.ts'

/** What the embedded driver does beyond the port: leases, stall limit, retention, open errors. */
describe('sqlite queue driver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mfb-sqlite-driver-'))
  const path = join(dir, 'queue.db')
  const drivers: QueueDriver[] = []
  const open = async (extra: Partial<SqliteQueueOptions> = {}): Promise<QueueDriver> => {
    const driver = await openSqliteQueue({ path, ...extra })
    drivers.push(driver)
    return driver
  }
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.close(200)))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('renews the lease of a long job, so another process never takes it over', async () => {
    const [a, b] = [await open({ lockMs: 150 }), await open({ lockMs: 150 })]
    const queue = queueName('lease')
    const counter = new RunCounter()
    const handler = async (job: { id: string }): Promise<void> => {
      counter.record(job.id)
      await sleep(700)
    }
    a.process(queue, handler, options({ concurrency: 1 }))
    await a.add(queue, [{ id: 'long-1', data: 1 }])
    await waitUntil(() => counter.total === 1, 2000, 'a to start the job')
    b.process(queue, handler, options({ concurrency: 1 }))
    await sleep(900)
    expect(counter.total).toBe(1)
    expect(await a.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, dead: 0 })
  })

  test('a job whose worker keeps dying goes to dead letters as QUEUE_STALLED after maxStalls redeliveries', async () => {
    const queue = queueName('stall')
    const setup = await open({ lockMs: 60, maxStalls: 2 })
    await setup.add(queue, [{ id: 'poison-1', data: 1 }])
    let runs = 0
    for (let i = 0; i < 3; i++) {
      // A worker whose handler never ends, abandoned: its lease lapses as if its process died.
      const dying = await openSqliteQueue({ path, lockMs: 60, maxStalls: 2 })
      const worker = dying.process(
        queue,
        () => new Promise<void>(() => void runs++),
        options({ concurrency: 1 }),
      )
      await waitUntil(() => runs === i + 1, 3000, `run ${i + 1}`)
      await worker.close(1)
      await dying.close(1)
    }
    const reaper = await open({ lockMs: 60, maxStalls: 2 })
    reaper.process(queue, async () => void runs++, options())
    await waitUntil(async () => (await reaper.counts(queue)).dead === 1, 3000, 'the job in dead letters')
    expect(runs).toBe(3)
    expect((await reaper.dead(queue))[0]?.error.code).toBe('QUEUE_STALLED')
  })

  test('forgets completed ids after the retention window: the same id then runs again', async () => {
    const q = await open({ retentionMs: 100 })
    const queue = queueName('retain')
    const counter = new RunCounter()
    q.process(queue, async (job) => counter.record(job.id), options())
    await q.add(queue, [{ id: 'once-1', data: 1 }])
    await waitUntil(() => counter.total === 1, 2000, 'the first run')
    await q.add(queue, [{ id: 'once-1', data: 1 }])
    await sleep(50)
    expect(counter.total).toBe(1)
    await sleep(250)
    await q.add(queue, [{ id: 'once-1', data: 1 }])
    await waitUntil(() => counter.total === 2, 2000, 'the second run after retention')
  })

  test('QUEUE_OPEN_FAILED names the path of a file that is not a database', async () => {
    const bad = join(dir, 'not-a-db')
    writeFileSync(bad, 'hello, this is not SQLite'.repeat(100))
    await expect(openSqliteQueue({ path: bad })).rejects.toMatchObject({ code: 'QUEUE_OPEN_FAILED' })
    await expect(openSqliteQueue({ path: bad })).rejects.toThrow(bad)
    await expect(openSqliteQueue({ path, lockMs: 0 })).rejects.toMatchObject({
      code: 'QUEUE_INVALID_OPTIONS',
    })
  })
})
