import type { Adapter, IngestResult } from '../adapter.ts'
import { BridgeError } from '../core/errors.ts'
import type { Logger } from '../log/logger.ts'
import { summarizeError, willRetry } from '../queue/failure.ts'
import type { Backoff, JobSpec, QueueCounts, QueueDriver, Worker } from '../queue/port.ts'
import { groupCommit } from '../store/group-commit.ts'
import type { LinkRepo, Store } from '../store/port.ts'
import { createDeliver } from './deliver.ts'
import { createIngest, routeJobs } from './ingest.ts'
import { DELIVER_QUEUE, type DeliverJob, parseDeliverJobId, ROUTE_QUEUE, type RouteJob } from './keys.ts'
import { noMetrics, type RelayMetrics } from './metrics.ts'
import { RateLimiter } from './rate-limit.ts'
import { createRoute } from './route.ts'
import { type FeeHooks, freeOfCharge } from './settle.ts'
import { tickBatch } from './tick-batch.ts'
import { createTracer } from './trace.ts'

export interface RelayOptions {
  readonly attempts: number
  readonly backoff: Backoff
  readonly concurrency: { readonly route: number; readonly deliver: number }
  readonly deliveryTimeoutMs: number
  /** How often to look for messages persisted but never routed (a crash between the two). */
  readonly sweepIntervalMs: number
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
  /** Starts the route and deliver workers and the recovery sweep in this process. */
  start(): Promise<void>
  /** Depth of each stage's queue. */
  counts(): Promise<Record<'route' | 'deliver', QueueCounts>>
  /** Moves a dead job back to work; false when there is no such dead job. */
  retryDead(jobId: string): Promise<boolean>
  /** Stops taking jobs and waits (up to timeoutMs) for the active ones. */
  stop(timeoutMs?: number): Promise<void>
}

/** ingest → route → deliver (+ settle), over one queue driver and one store. */
export function createRelay(deps: RelayDeps): Relay {
  const { store, queue, log, options } = deps
  const tracer = createTracer(store, deps.processId)
  const controller = new AbortController()
  const workers: Worker[] = []
  let sweepTimer: NodeJS.Timeout | undefined
  const commit = groupCommit(store)
  const addRouteJobs = tickBatch<JobSpec<RouteJob>>((jobs) => queue.add(ROUTE_QUEUE, jobs))
  const addDeliverJobs = tickBatch<JobSpec<DeliverJob>>((jobs) => queue.add(DELIVER_QUEUE, jobs))
  const metrics = deps.metrics ?? noMetrics
  const ingest = createIngest({ commit, addRouteJobs, metrics })

  const route = createRoute({ store, links: deps.links, addDeliverJobs, limiter: new RateLimiter(), commit })
  const tracedRoute = async (job: Parameters<typeof route>[0]) => {
    const started = Date.now()
    try {
      await route(job)
    } catch (err) {
      const retry = willRetry(job, err)
      await tracer
        .record({
          messageId: job.data.messageId,
          targetKey: null,
          stage: 'route',
          attempt: job.attempt,
          startedAt: started,
          outcome: retry ? 'retry' : 'dead',
          error: summarizeError(err),
        })
        .catch(() => {})
      throw err
    }
  }

  async function sweep(): Promise<void> {
    try {
      const ids = await store.messages.listIngested(Date.now() - options.sweepIntervalMs, 1000)
      if (ids.length) {
        await addRouteJobs(routeJobs(ids))
        log.warn({ count: ids.length }, 'recovered messages persisted but never routed')
      }
    } catch (err) {
      log.error({ err }, 'recovery sweep failed')
    }
  }

  return {
    ingest,
    async start() {
      const common = { attempts: options.attempts, backoff: options.backoff }
      workers.push(
        queue.process<RouteJob>(ROUTE_QUEUE, tracedRoute, {
          ...common,
          concurrency: options.concurrency.route,
        }),
      )
      const deliver = createDeliver({
        store,
        links: deps.links,
        adapters: deps.adapters,
        fees: deps.fees ?? freeOfCharge,
        metrics,
        commit,
        timeoutMs: options.deliveryTimeoutMs,
        signal: controller.signal,
      })
      workers.push(
        queue.process<DeliverJob>(DELIVER_QUEUE, deliver, {
          ...common,
          concurrency: options.concurrency.deliver,
        }),
      )
      await sweep()
      sweepTimer = setInterval(sweep, options.sweepIntervalMs)
      sweepTimer.unref()
    },
    async counts() {
      const [route, deliver] = await Promise.all([queue.counts(ROUTE_QUEUE), queue.counts(DELIVER_QUEUE)])
      return { route, deliver }
    },
    async retryDead(jobId) {
      const deliverJob = parseDeliverJobId(jobId)
      if (deliverJob) {
        const revived = await store.deliveries.revive(deliverJob.messageId, deliverJob.targetKey)
        const moved = await queue.retryDead(DELIVER_QUEUE, jobId)
        return revived || moved
      }
      if (/^rm[0-9a-f]{40}$/.test(jobId)) return queue.retryDead(ROUTE_QUEUE, jobId)
      throw new BridgeError('JOB_ID_INVALID', `"${jobId.slice(0, 80)}" is not a pipeline job id`, {
        status: 400,
        hint: 'take the id from GET /v1/queue (dead letters)',
      })
    },
    async stop(timeoutMs = 30_000) {
      clearInterval(sweepTimer)
      const closing = Promise.all(workers.map((w) => w.close(timeoutMs)))
      // Deliveries still running after the timeout are aborted; their jobs come back later.
      const abortTimer = setTimeout(() => controller.abort(new Error('bridge stopping')), timeoutMs)
      await closing
      clearTimeout(abortTimer)
    },
  }
}
