import type { Adapter, IngestResult } from '../adapter.ts'
import { BridgeError } from '../core/errors.ts'
import type { Logger } from '../log/logger.ts'
import type { Backoff, JobSpec, QueueCounts, QueueDriver, Worker } from '../queue/port.ts'
import { groupCommit } from '../store/group-commit.ts'
import type { LinkRepo, Store } from '../store/port.ts'
import { createDeliver } from './deliver.ts'
import { createIngest } from './ingest.ts'
import { DELIVER_QUEUES, type DeliverJob, type DeliverQueue, parseDeliverJobId } from './keys.ts'
import { noMetrics, type RelayMetrics } from './metrics.ts'
import { RateLimiter } from './rate-limit.ts'
import { createRoute } from './route.ts'
import { type FeeHooks, freeOfCharge } from './settle.ts'
import { tickBatch } from './tick-batch.ts'

export interface RelayOptions {
  readonly attempts: number
  readonly backoff: Backoff
  /** route: how many unrouted messages the recovery sweep routes at once; deliver: jobs at once. */
  readonly concurrency: { readonly route: number; readonly deliver: number }
  readonly deliveryTimeoutMs: number
  /** How often to look for messages persisted but never routed (a crash between the two). */
  readonly sweepIntervalMs: number
  /**
   * The deliver queues this process works (default: both). A process without a node leaves
   * NODE_DELIVER_QUEUE to those with one; a node-only process works only that one.
   */
  readonly deliverQueues?: readonly DeliverQueue[]
}

export interface RelayDeps {
  readonly store: Store
  /** Links as the relay reads them (a CachedLinks in a running bridge). */
  readonly links: LinkRepo
  readonly queue: QueueDriver
  readonly adapters: ReadonlyMap<string, Adapter>
  readonly log: Logger
  readonly processId: string
  readonly options: RelayOptions
  readonly fees?: FeeHooks
  readonly metrics?: RelayMetrics
}

export interface Relay {
  /** The pipeline's one door (see createIngest). */
  ingest(msg: unknown, source: string): Promise<IngestResult>
  /** Starts the deliver workers and the recovery sweep in this process. */
  start(): Promise<void>
  /** Depth of each stage: route = messages persisted whose deliveries are not enqueued yet. */
  counts(): Promise<Record<'route' | 'deliver', QueueCounts>>
  /** Moves a dead job back to work; false when there is no such dead job. */
  retryDead(jobId: string): Promise<boolean>
  /** Stops taking jobs and waits (up to timeoutMs) for the active ones. */
  stop(timeoutMs?: number): Promise<void>
}

/** ingest + route (inline) → deliver (+ settle), over one queue driver and one store. */
export function createRelay(deps: RelayDeps): Relay {
  const { store, queue, log, options } = deps
  const controller = new AbortController()
  const workers: Worker[] = []
  let sweepTimer: NodeJS.Timeout | undefined
  let sweeping: Promise<void> | undefined
  const commit = groupCommit(store)
  const batchers = new Map(
    DELIVER_QUEUES.map((name) => [name, tickBatch<JobSpec<DeliverJob>>((jobs) => queue.add(name, jobs))]),
  )
  const addDeliverJobs = (name: DeliverQueue, jobs: readonly JobSpec<DeliverJob>[]) =>
    (batchers.get(name) as (jobs: readonly JobSpec<DeliverJob>[]) => Promise<void>)(jobs)
  const metrics = deps.metrics ?? noMetrics
  const route = createRoute({ links: deps.links, addDeliverJobs, limiter: new RateLimiter(), commit })
  const ingest = createIngest({ route, metrics })

  /** Finishes the messages persisted but never routed: a crash, or a queue that refused the jobs. */
  async function sweep(): Promise<void> {
    try {
      const ids = await store.messages.listIngested(Date.now() - options.sweepIntervalMs, 1000)
      let recovered = 0
      await eachLimited(ids, options.concurrency.route, async (id) => {
        const stored = await store.messages.get(id)
        if (stored && (await route(stored.message, undefined, 2)) === 'resumed') recovered++
      })
      if (recovered) log.warn({ count: recovered }, 'recovered messages persisted but never routed')
    } catch (err) {
      log.error({ err }, 'recovery sweep failed')
    }
  }
  const sweepOnce = () => {
    sweeping ??= sweep().finally(() => {
      sweeping = undefined
    })
    return sweeping
  }

  return {
    ingest,
    async start() {
      const deliver = createDeliver({
        store,
        links: deps.links,
        adapters: deps.adapters,
        fees: deps.fees ?? freeOfCharge,
        metrics,
        commit,
        timeoutMs: options.deliveryTimeoutMs,
        signal: controller.signal,
        log: deps.log,
      })
      for (const name of options.deliverQueues ?? DELIVER_QUEUES)
        workers.push(
          queue.process<DeliverJob>(name, deliver, {
            attempts: options.attempts,
            backoff: options.backoff,
            concurrency: options.concurrency.deliver,
          }),
        )
      await sweepOnce()
      sweepTimer = setInterval(sweepOnce, options.sweepIntervalMs)
      sweepTimer.unref()
    },
    async counts() {
      const [unrouted, ...perQueue] = await Promise.all([
        store.messages.countIngested(),
        ...DELIVER_QUEUES.map((name) => queue.counts(name)),
      ])
      const deliver = { waiting: 0, active: 0, delayed: 0, dead: 0 }
      for (const c of perQueue) {
        deliver.waiting += c.waiting
        deliver.active += c.active
        deliver.delayed += c.delayed
        deliver.dead += c.dead
      }
      return { route: { waiting: unrouted as number, active: 0, delayed: 0, dead: 0 }, deliver }
    },
    async retryDead(jobId) {
      const deliverJob = parseDeliverJobId(jobId)
      if (!deliverJob)
        throw new BridgeError('JOB_ID_INVALID', `"${jobId.slice(0, 80)}" is not a pipeline job id`, {
          status: 400,
          hint: 'take the id from GET /v1/queue (dead letters)',
        })
      const revived = await store.deliveries.revive(deliverJob.messageId, deliverJob.targetKey)
      let moved = false
      for (const name of DELIVER_QUEUES) moved = (await queue.retryDead(name, jobId)) || moved
      return revived || moved
    },
    async stop(timeoutMs = 30_000) {
      clearInterval(sweepTimer)
      const closing = Promise.all(workers.map((w) => w.close(timeoutMs)))
      // Deliveries still running after the timeout are aborted; their jobs come back later.
      const abortTimer = setTimeout(() => controller.abort(new Error('bridge stopping')), timeoutMs)
      await closing
      clearTimeout(abortTimer)
      await sweeping
    },
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}
