import type { IngestResult } from '../adapter.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../core/message.ts'
import { parseWith } from '../core/validate.ts'
import type { QueueDriver } from '../queue/port.ts'
import type { Store } from '../store/port.ts'
import { ROUTE_QUEUE, type RouteJob, routeJobId } from './keys.ts'

export interface IngestDeps {
  readonly store: Store
  readonly queue: QueueDriver
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
    const inserted = await deps.store.messages.insert(msg, source)
    if (!inserted) {
      const stored = await deps.store.messages.get(msg.id)
      if (stored?.state === 'routed') return { id: msg.id, duplicate: true }
    }
    await enqueueRoute(deps.queue, [msg.id])
    return { id: msg.id, duplicate: !inserted }
  }
}

export function enqueueRoute(queue: QueueDriver, ids: readonly string[]): Promise<void> {
  return queue.add<RouteJob>(
    ROUTE_QUEUE,
    ids.map((messageId) => ({ id: routeJobId(messageId), data: { messageId } })),
  )
}
