import type { IngestResult } from '../adapter.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../core/message.ts'
import { parseWith } from '../core/validate.ts'
import type { JobSpec } from '../queue/port.ts'
import type { GroupCommit } from '../store/group-commit.ts'
import { type RouteJob, routeJobId } from './keys.ts'
import type { RelayMetrics } from './metrics.ts'

export interface IngestDeps {
  /** Group commit: concurrent ingests share one store transaction. */
  readonly commit: GroupCommit
  /** Adds route jobs (batched across concurrent ingests). */
  readonly addRouteJobs: (jobs: readonly JobSpec<RouteJob>[]) => Promise<void>
  readonly metrics: RelayMetrics
}

/**
 * The pipeline's one door: validate, dedupe by id, persist, enqueue the route job. Resolves
 * only when the message is durable and its route job is too, so the caller may acknowledge
 * the inbound side then. A message persisted by an earlier call whose enqueue never happened
 * (a crash in between) is enqueued again: the route job id makes that idempotent.
 * @throws InvalidInputError when the message does not validate; QUEUE_UNAVAILABLE / STORE_*
 *   (retryable) when the queue or store cannot take it — do not acknowledge then.
 */
export function createIngest(deps: IngestDeps): (msg: unknown, source: string) => Promise<IngestResult> {
  return async function ingest(input, source) {
    const msg: BridgeMessage = parseWith(bridgeMessageSchema, input, 'message', 'MESSAGE_INVALID')
    const outcome = await deps.commit(async (tx) => {
      if (await tx.messages.insert(msg, source)) return 'new'
      return (await tx.messages.get(msg.id))?.state === 'routed' ? 'routed' : 'ingested'
    })
    if (outcome !== 'routed') await deps.addRouteJobs(routeJobs([msg.id]))
    deps.metrics.ingested(source, outcome !== 'new')
    return { id: msg.id, duplicate: outcome !== 'new' }
  }
}

export function routeJobs(ids: readonly string[]): JobSpec<RouteJob>[] {
  return ids.map((messageId) => ({ id: routeJobId(messageId), data: { messageId } }))
}
