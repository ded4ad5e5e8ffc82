/**
 * A queue worker in a process of its own, for the queue conformance suite's crash tests.
 * Run with the test's Node (process.execPath; Node 24 runs .ts directly):
 *   MFB_TEST_WORKER='{"config":…,"queue":"q","log":"/tmp/x.log","sleepMs":500,"concurrency":4}' node queue-worker.ts
 * It appends `start <id>` when a handler begins and `done <id>` when it ends to `log` (one per
 * line), prints `ready` once processing, and on SIGTERM closes the driver (active jobs finish)
 * and exits 0.
 */
import { appendFileSync } from 'node:fs'
import { openQueue, type QueueConfig } from '../../src/queue/index.ts'

interface WorkerSpec {
  readonly config: QueueConfig
  readonly queue: string
  readonly log: string
  readonly sleepMs?: number
  readonly concurrency?: number
  readonly attempts?: number
}

const spec = JSON.parse(process.env.MFB_TEST_WORKER ?? '{}') as WorkerSpec
const driver = await openQueue(spec.config, {
  onError: (err) => console.error(`queue-worker: ${err.message}`),
})
driver.process<unknown>(
  spec.queue,
  async (job) => {
    appendFileSync(spec.log, `start ${job.id}\n`)
    if (spec.sleepMs) await new Promise((resolve) => setTimeout(resolve, spec.sleepMs))
    appendFileSync(spec.log, `done ${job.id}\n`)
  },
  { attempts: spec.attempts ?? 3, backoff: { baseMs: 100, maxMs: 1000 }, concurrency: spec.concurrency ?? 1 },
)
let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  void driver.close(20_000).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
})
process.stdout.write('ready\n')
