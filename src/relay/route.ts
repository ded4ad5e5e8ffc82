import type { BridgeMessage } from '../core/message.ts'
import type { JobSpec } from '../queue/port.ts'
import type { GroupCommit } from '../store/group-commit.ts'
import type { DeliveryRecord, DeliveryTarget, Link, LinkRepo, Repos, TraceInput } from '../store/port.ts'
import { senderAllowed } from './acl.ts'
import {
  conversationKey,
  DELIVER_QUEUES,
  type DeliverJob,
  type DeliverQueue,
  deliverJobId,
  deliverQueueFor,
  targetKey,
} from './keys.ts'
import type { RateLimiter } from './rate-limit.ts'

export interface RouteDeps {
  readonly links: LinkRepo
  /** Adds deliver jobs to the queue of their target's network (keys.ts deliverQueueFor). */
  readonly addDeliverJobs: (queue: DeliverQueue, jobs: readonly JobSpec<DeliverJob>[]) => Promise<void>
  readonly limiter: RateLimiter
  /** Group commit (src/store/group-commit.ts): the route's writes share a transaction with others'. */
  readonly commit: GroupCommit
}

/** What `route` did with the message. */
export type RouteOutcome =
  /** First time seen: persisted, planned, its deliver jobs enqueued. */
  | 'new'
  /** Persisted before but its deliver jobs possibly not enqueued (a crash, a failed add): done now. */
  | 'resumed'
  /** Persisted and routed before: nothing to do. */
  | 'duplicate'

interface Planned {
  readonly target: DeliveryTarget
  readonly refused?: { code: string; message: string }
}

/**
 * The route stage, run inline where the message enters (DESIGN.md: one job per target, no
 * route job). In one store transaction it persists the message (deduped by id), finds the
 * links whose endpoint is the message's conversation as a sender (direction out or both),
 * plans one delivery per other endpoint that receives (in or both), records the sender ACL's
 * refusals and a route trace. Then it enqueues one deliver job per pending delivery, delayed
 * by the link's per-sender rate limit, and marks the message routed.
 *
 * The message stays `ingested` until its jobs are enqueued, so a crash in between leaves it
 * for the recovery sweep (or the caller's retry), which calls `route` again: re-planning is
 * idempotent (delivery rows and job ids are keyed by message and target).
 *
 * @param source where the message came from, to persist it; undefined for a message already
 *   stored (the recovery sweep).
 * @throws STORE_* / QUEUE_* (retryable) when the store or queue cannot take it — the message
 *   is then not routed yet, and the caller must not acknowledge it.
 */
export function createRoute(
  deps: RouteDeps,
): (msg: BridgeMessage, source: string | undefined, attempt?: number) => Promise<RouteOutcome> {
  return async function route(msg, source, attempt = 1) {
    const started = Date.now()
    const links = await deps.links.findByEndpoint(msg.conversation.network, msg.conversation.id)
    const plan = links.flatMap((link) => planLink(link, msg.conversation, msg.origin.sender))
    const planned = await deps.commit(async (tx) => {
      let outcome: RouteOutcome = 'new'
      if (source === undefined || !(await tx.messages.insert(msg, source))) {
        if ((await tx.messages.get(msg.id))?.state === 'routed')
          return { outcome: 'duplicate' as const, records: [] }
        outcome = 'resumed'
      }
      return { outcome, records: await record(tx, msg, plan, attempt, started) }
    })
    if (planned.outcome === 'duplicate') return 'duplicate'

    const pending = planned.records.filter((r) => r.state === 'pending')
    const delays = rateLimitDelays(pending, links, msg.origin.sender, deps.limiter)
    await Promise.all(
      DELIVER_QUEUES.map((queue) =>
        deps.addDeliverJobs(
          queue,
          pending
            .filter((r) => deliverQueueFor(r.network) === queue)
            .map((r) => ({
              id: deliverJobId(msg.id, r.targetKey),
              data: { messageId: msg.id, targetKey: r.targetKey },
              delayMs: delays.get(r.linkId) ?? 0,
            })),
        ),
      ),
    )
    await deps.commit((tx) => tx.messages.markRouted(msg.id))
    return planned.outcome
  }
}

/** Records the plan: deliveries (existing ones kept), ACL refusals, the route trace. */
async function record(
  tx: Repos,
  msg: BridgeMessage,
  plan: readonly Planned[],
  attempt: number,
  started: number,
): Promise<DeliveryRecord[]> {
  const created = await tx.deliveries.createMany(
    msg.id,
    conversationKey(msg.conversation),
    plan.map((p) => p.target),
  )
  let refusals = 0
  for (const p of plan)
    if (p.refused && created.find((r) => r.targetKey === p.target.targetKey)?.state === 'pending') {
      await tx.deliveries.markRefused(msg.id, p.target.targetKey, p.refused)
      refusals++
    }
  const records = refusals > 0 ? await tx.deliveries.listByMessage(msg.id) : created
  await tx.traces.append(routeTrace(msg, attempt, started, records))
  return records
}

/** One rate-limit reservation per link the message goes out on; the delay of each link's jobs. */
function rateLimitDelays(
  pending: readonly DeliveryRecord[],
  links: readonly Link[],
  sender: string,
  limiter: RateLimiter,
): Map<string, number> {
  const delays = new Map<string, number>()
  for (const linkId of new Set(pending.map((r) => r.linkId))) {
    const perMinute = links.find((l) => l.id === linkId)?.rateLimitPerMinute
    if (perMinute) delays.set(linkId, limiter.reserve(`${linkId}\u0000${sender}`, perMinute))
  }
  return delays
}

/** The route stage's trace row: ok, or refused with why (no link, or the ACL). */
function routeTrace(
  msg: BridgeMessage,
  attempt: number,
  started: number,
  records: readonly DeliveryRecord[],
): TraceInput {
  const refused = records.find((r) => r.state === 'refused')
  const noRoute = records.length === 0
  return {
    messageId: msg.id,
    targetKey: null,
    stage: 'route',
    attempt,
    startedAt: started,
    durationMs: Date.now() - started,
    outcome: noRoute ? 'refused' : 'ok',
    error: noRoute
      ? {
          code: 'NO_ROUTE',
          message: `no link sends from ${msg.conversation.network} conversation ${msg.conversation.id}: create one with it as an endpoint`,
        }
      : (refused?.lastError ?? null),
  }
}

function planLink(link: Link, conversation: { network: string; id: string }, sender: string): Planned[] {
  const source = link.endpoints.find(
    (e) => e.network === conversation.network && e.address === conversation.id && e.direction !== 'in',
  )
  if (!source) return []
  const allowed = senderAllowed(link.acl.allowSenders, sender)
  return link.endpoints
    .filter((e) => e !== source && e.direction !== 'out')
    .filter((e) => !(e.network === conversation.network && e.address === conversation.id))
    .map((e) => ({
      target: {
        targetKey: targetKey(link.id, e.network, e.address),
        linkId: link.id,
        network: e.network,
        address: e.address,
      },
      ...(allowed
        ? {}
        : {
            refused: {
              code: 'ACL_DENIED',
              message: `sender ${sender} is not allowed on link ${link.name} (${link.id})`,
            },
          }),
    }))
}
