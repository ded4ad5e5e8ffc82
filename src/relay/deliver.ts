import { type Adapter, reportsFailures } from '../adapter.ts'
import type { BridgeError } from '../core/errors.ts'
import type { Logger } from '../log/logger.ts'
import { summarizeError, willRetry } from '../queue/failure.ts'
import type { Job } from '../queue/port.ts'
import type { GroupCommit } from '../store/group-commit.ts'
import type { DeliveryRecord, LinkRepo, Store } from '../store/port.ts'
import { degrade } from './degrade.ts'
import { adapterMissing, deliveryTimeout, messageMissing, orderBlocked, targetGone } from './errors.ts'
import type { DeliverJob } from './keys.ts'
import type { RelayMetrics } from './metrics.ts'
import type { FeeHooks } from './settle.ts'

export interface DeliverDeps {
  readonly store: Store
  readonly links: LinkRepo
  readonly adapters: ReadonlyMap<string, Adapter>
  readonly fees: FeeHooks
  readonly timeoutMs: number
  readonly metrics: RelayMetrics
  /** Group commit: settles of concurrent deliveries share one store transaction. */
  readonly commit: GroupCommit
  /** Aborted when the bridge stops: adapters cancel their I/O, the job is retried later. */
  readonly signal: AbortSignal
  readonly log: Logger
}

/**
 * The deliver stage: translate (degrade to what the target carries) and hand to the adapter,
 * then settle — receipt, trace row and fee in one store transaction. A job that finds its
 * delivery already done (a redelivery after a crash) does nothing: the adapter is called at
 * most once per success, and adapters pass the message id on so the far side can dedupe a
 * call whose success was lost.
 */
export function createDeliver(deps: DeliverDeps): (job: Job<DeliverJob>) => Promise<void> {
  const attempt = createAttempt(deps)
  return async function deliver(job) {
    const started = Date.now()
    try {
      await attempt(job, started)
    } catch (err) {
      const error = summarizeError(err)
      const retry = willRetry(job, err)
      const { messageId, targetKey } = job.data
      const network = await deps.commit(async (tx) => {
        const record = await tx.deliveries.get(messageId, targetKey)
        if (record) await tx.deliveries.markFailed(messageId, targetKey, error, !retry)
        await tx.traces.append({
          messageId,
          targetKey,
          stage: 'deliver',
          attempt: job.attempt,
          startedAt: started,
          durationMs: Date.now() - started,
          outcome: retry ? 'retry' : 'dead',
          error,
        })
        return record?.network ?? 'unknown'
      })
      deps.metrics.failed(network, retry)
      if (!retry) await reportDead(deps, messageId, targetKey, error)
      throw err
    }
  }
}

function createAttempt(deps: DeliverDeps): (job: Job<DeliverJob>, started: number) => Promise<void> {
  return async function attempt(job, started) {
    const { messageId, targetKey } = job.data
    const found = await deps.store.deliveries.getWithMessage(messageId, targetKey)
    if (!found) throw messageMissing(messageId)
    const { delivery: record, message } = found
    if (record.state === 'delivered' || record.state === 'refused') return
    const link = await deps.links.get(record.linkId)
    const endpoint = link?.endpoints.find((e) => e.network === record.network && e.address === record.address)
    if (!endpoint) throw targetGone(record.linkId)
    const adapter = deps.adapters.get(record.network)
    if (!adapter) throw adapterMissing(record.network)

    if (adapter.capabilities.ordered) await waitForEarlier(deps, record)
    const target = {
      linkId: record.linkId,
      network: record.network,
      address: record.address,
      options: endpoint.options,
    }
    const receipt = await withTimeout(
      (signal) => adapter.deliver(degrade(message, adapter.capabilities), target, signal),
      deps.timeoutMs,
      deps.signal,
      () => deliveryTimeout(record.network, deps.timeoutMs),
    )
    await deps.commit(async (tx) => {
      const changed = await tx.deliveries.markDelivered(messageId, targetKey, {
        at: receipt.deliveredAt,
        ...(receipt.nativeId ? { nativeId: receipt.nativeId } : {}),
      })
      if (!changed) return
      await tx.traces.append({
        messageId,
        targetKey,
        stage: 'deliver',
        attempt: job.attempt,
        startedAt: started,
        durationMs: Date.now() - started,
        outcome: 'ok',
        error: null,
      })
      await deps.fees.accrue(tx, message, record, receipt)
    })
    deps.metrics.delivered(record.network)
  }
}

/**
 * Tells the message's own network that it went to dead letters, when that adapter reports
 * failures (a Matrix user then sees why in the room). Best effort: logged, never thrown.
 */
async function reportDead(
  deps: DeliverDeps,
  messageId: string,
  targetKey: string,
  error: { code: string; message: string },
): Promise<void> {
  try {
    const found = await deps.store.deliveries.getWithMessage(messageId, targetKey)
    const origin = found && deps.adapters.get(found.message.origin.network)
    if (!found || !origin || !reportsFailures(origin)) return
    const { network, address } = found.delivery
    await origin.reportFailure(found.message, { network, address }, error)
  } catch (err) {
    deps.log.warn({ err, messageId }, 'could not report a dead delivery to its origin network')
  }
}

/**
 * For targets that keep order (a Matrix room): waits while an earlier delivery of the same
 * conversation to the same target is pending, so messages arrive in ingest order. Dead and
 * refused ones do not hold the line. Gives up after the delivery timeout with a retryable
 * ORDER_BLOCKED (the job comes back later), so a stuck earlier message cannot hold a worker.
 */
async function waitForEarlier(deps: DeliverDeps, record: DeliveryRecord): Promise<void> {
  const started = Date.now()
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    if (!(await deps.store.deliveries.hasPendingBefore(record.targetKey, record.conversationKey, record.seq)))
      return
    if (Date.now() - started > deps.timeoutMs || deps.signal.aborted)
      throw orderBlocked(record.network, Date.now() - started)
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
}

async function withTimeout<T>(
  run: (signal: AbortSignal) => Promise<T>,
  ms: number,
  outer: AbortSignal,
  onTimeout: () => BridgeError,
): Promise<T> {
  const controller = new AbortController()
  const abort = () => controller.abort(outer.reason)
  outer.addEventListener('abort', abort, { once: true })
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(onTimeout())
    }, ms)
  })
  try {
    return await Promise.race([run(controller.signal), timeout])
  } finally {
    clearTimeout(timer)
    outer.removeEventListener('abort', abort)
  }
}
