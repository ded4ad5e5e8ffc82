import type { IngestResult } from '../adapter.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../core/message.ts'
import { parseWith } from '../core/validate.ts'
import type { RelayMetrics } from './metrics.ts'
import type { RouteOutcome } from './route.ts'

export interface IngestDeps {
  /** The route stage (route.ts): persists, plans and enqueues the deliveries. */
  readonly route: (msg: BridgeMessage, source: string) => Promise<RouteOutcome>
  readonly metrics: RelayMetrics
}

/**
 * The pipeline's one door: validate, then route inline — dedupe by id, persist, plan, enqueue
 * one deliver job per target. Resolves only when the message is durable and its deliver jobs
 * are too, so the caller may acknowledge the inbound side then. A message persisted by an
 * earlier call whose jobs were never enqueued (a crash in between) is finished by this call.
 * @throws InvalidInputError when the message does not validate; QUEUE_UNAVAILABLE / STORE_*
 *   (retryable) when the queue or store cannot take it — do not acknowledge then.
 */
export function createIngest(deps: IngestDeps): (msg: unknown, source: string) => Promise<IngestResult> {
  return async function ingest(input, source) {
    const msg: BridgeMessage = parseWith(bridgeMessageSchema, input, 'message', 'MESSAGE_INVALID')
    const outcome = await deps.route(msg, source)
    deps.metrics.ingested(source, outcome !== 'new')
    return { id: msg.id, duplicate: outcome !== 'new' }
  }
}
