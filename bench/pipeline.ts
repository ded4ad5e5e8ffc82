/**
 * bench:pipeline — messages/s through ingest → route (inline) → deliver to an in-process no-op target,
 * against raw BullMQ doing one no-op job per message on the same Redis in the same run.
 * Then the same pipeline on the sqlite queue, and RSS with 100k queued messages.
 * Last line: `pipeline: ratio <x> (target >= 0.5)`.
 */
import { mkdtempSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import type { Adapter } from '../src/adapter.ts'
import { messageId } from '../src/core/ids.ts'
import type { BridgeMessage } from '../src/core/message.ts'
import { createLogger } from '../src/log/logger.ts'
import { openQueue, type QueueConfig } from '../src/queue/index.ts'
import { CachedLinks } from '../src/relay/link-cache.ts'
import { createRelay } from '../src/relay/pipeline.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import { startRedis } from '../test/helpers/redis.ts'

const N = Number(process.env.BENCH_MESSAGES ?? 5000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50)
const log = createLogger({ level: 'silent' })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function rawBullmq(url: string, round: number): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: null })
  const name = `raw${round}`
  const queue = new Queue(name, { connection, prefix: 'bench' })
  let done = 0
  let finish = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  const workerConnection = connection.duplicate()
  const worker = new Worker(
    name,
    async () => {
      if (++done === N) finish()
    },
    { connection: workerConnection, prefix: 'bench', concurrency: CONCURRENCY },
  )
  await worker.waitUntilReady()
  const start = performance.now()
  for (let i = 0; i < N; i += 500)
    await queue.addBulk(
      Array.from({ length: Math.min(500, N - i) }, (_, j) => ({
        name: 'job',
        data: { i: i + j },
        opts: { jobId: `j${i + j}` },
      })),
    )
  await finished
  const seconds = (performance.now() - start) / 1000
  await worker.close()
  workerConnection.disconnect()
  await queue.obliterate({ force: true }).catch(() => {})
  await queue.close()
  connection.disconnect()
  return N / seconds
}

/** A no-op target that counts its calls, so the bench can wait without scanning the store. */
function noopAdapter(calls: { n: number }): Adapter {
  return {
    network: 'noop',
    capabilities: { kinds: new Set(['text']), html: true, maxBytes: 1 << 20 },
    start: async () => {},
    deliver: async () => {
      calls.n++
      return { deliveredAt: Date.now() }
    },
    stop: async () => {},
  }
}

function message(round: string, i: number): BridgeMessage {
  return {
    kind: 'text',
    id: messageId('bench', `${round}-${i}`),
    origin: { network: 'bench', nativeId: `${round}-${i}`, sender: 'mailto:bench@example.com' },
    conversation: { network: 'bench', id: 'in' },
    timestamp: Date.now(),
    body: { text: `message ${i}` },
    attachments: [],
  }
}

async function pipeline(
  queueConfig: QueueConfig,
  round: string,
  count: number,
  run = true,
): Promise<{ rate: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mfb-bench-'))
  const store = await openSqliteStore({ path: join(dir, 'bridge.db') })
  await store.migrate()
  await store.links.create({
    name: 'bench',
    endpoints: [
      { network: 'bench', address: 'in', direction: 'out', options: {} },
      { network: 'noop', address: 'sink', direction: 'in', options: {} },
    ],
  })
  const queue = await openQueue(queueConfig)
  const calls = { n: 0 }
  const relay = createRelay({
    store,
    links: new CachedLinks(store.links),
    queue,
    adapters: new Map([['noop', noopAdapter(calls)]]),
    log,
    processId: 'bench',
    options: {
      attempts: 3,
      backoff: { baseMs: 100, maxMs: 1000 },
      concurrency: { route: CONCURRENCY, deliver: CONCURRENCY },
      deliveryTimeoutMs: 10_000,
      sweepIntervalMs: 600_000,
    },
  })
  if (run) await relay.start()
  const start = performance.now()
  // Ingest as inbound traffic arrives: many concurrent callers, each awaiting its ack.
  let next = 0
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < count) await relay.ingest(message(round, next++), 'bench')
    }),
  )
  if (run)
    for (;;) {
      // Counting deliveries scans the table; only do it once the target has seen every message.
      if (calls.n < count) {
        await sleep(5)
        continue
      }
      const counts = await store.deliveries.countByState()
      if (counts.delivered >= count) break
      await sleep(5)
    }
  const rate = count / ((performance.now() - start) / 1000)
  const rss = process.memoryUsage().rss
  await relay.stop()
  await queue.close()
  await store.close()
  return { rate, rss }
}

const redis = await startRedis()
try {
  console.log(
    `pipeline: node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}; ${N} messages × ${ROUNDS} rounds, concurrency ${CONCURRENCY}, medians`,
  )
  const raw: number[] = []
  const viaBullmq: number[] = []
  const viaSqlite: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const baseline = await rawBullmq(redis.url, r)
    const ours = (
      await pipeline({ driver: 'bullmq', redis: { url: redis.url, prefix: `b${r}` } }, `b${r}`, N)
    ).rate
    const sqlite = (
      await pipeline(
        { driver: 'sqlite', sqlite: { path: join(mkdtempSync(join(tmpdir(), 'mfb-q-')), 'queue.db') } },
        `s${r}`,
        N,
      )
    ).rate
    raw.push(baseline)
    viaBullmq.push(ours)
    viaSqlite.push(sqlite)
    ratios.push(ours / baseline)
    console.log(
      `round ${r + 1}: raw BullMQ ${baseline.toFixed(0)} jobs/s, pipeline on BullMQ ${ours.toFixed(0)} msg/s, on sqlite ${sqlite.toFixed(0)} msg/s`,
    )
  }
  const ingestOnly = (
    await pipeline({ driver: 'bullmq', redis: { url: redis.url, prefix: 'ingest' } }, 'ingest', N, false)
  ).rate
  console.log(
    `ingest alone on BullMQ (persist + route + deliver job enqueued, acknowledged): ${ingestOnly.toFixed(0)} msg/s`,
  )
  console.log(`raw BullMQ (1 no-op job per message): ${median(raw).toFixed(0)} jobs/s`)
  console.log(
    `pipeline on BullMQ (ingest + route inline → deliver: 1 job + store writes per message): ${median(viaBullmq).toFixed(0)} msg/s`,
  )
  console.log(
    `pipeline on sqlite: ${median(viaSqlite).toFixed(0)} msg/s, ratio to the BullMQ pipeline ${(median(viaSqlite) / median(viaBullmq)).toFixed(2)}`,
  )
  const held = Number(process.env.BENCH_QUEUED ?? 100_000)
  const before = process.memoryUsage().rss
  const { rss } = await pipeline(
    { driver: 'sqlite', sqlite: { path: join(mkdtempSync(join(tmpdir(), 'mfb-q-')), 'queue.db') } },
    'mem',
    held,
    false,
  )
  console.log(
    `memory: RSS ${(rss / 2 ** 20).toFixed(0)} MiB with ${held} messages queued on sqlite (${((rss - before) / 2 ** 20).toFixed(0)} MiB above the start)`,
  )
  console.log(`pipeline: ratio ${median(ratios).toFixed(2)} (target >= 0.5)`)
} finally {
  await redis.stop()
}
process.exit(0)
