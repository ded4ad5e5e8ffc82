import type { BridgeMessage } from '../core/message.ts'
import type { Job, JobSpec } from '../queue/port.ts'
import type { GroupCommit } from '../store/group-commit.ts'
import type { DeliveryRecord, DeliveryTarget, Link, LinkRepo, Store, TraceInput } from '../store/port.ts'
import { senderAllowed } from './acl.ts'
import { messageMissing } from './errors.ts'
import { conversationKey, type DeliverJob, deliverJobId, type RouteJob, targetKey } from './keys.ts'
import type { RateLimiter } from './rate-limit.ts'

export interface RouteDeps {
  readonly store: Store
  readonly links: LinkRepo
  readonly addDeliverJobs: (jobs: readonly JobSpec<DeliverJob>[]) => Promise<void>
  readonly limiter: RateLimiter
  /** Group commit (src/store/group-commit.ts): the route's writes share a transaction with others'. */
  readonly commit: GroupCommit
}

interface Planned {
  readonly target: DeliveryTarget
  readonly refused?: { code: string; message: string }
  readonly delayMs: number
}

/**
 * The route stage: finds the links whose endpoint is the message's conversation (as a
 * sender: direction out or both), plans one delivery per other endpoint that receives (in or
 * both), applies each link's sender ACL and rate limit, records the deliveries and enqueues
 * one deliver job per target. Re-running it (a redelivered job) plans nothing twice.
 */
export function createRoute(deps: RouteDeps): (job: Job<RouteJob>) => Promise<void> {
  return async function route(job) {
    const started = Date.now()
    const stored = await deps.store.messages.get(job.data.messageId)
    if (!stored) throw messageMissing(job.data.messageId)
    const msg = stored.message
    const convKey = conversationKey(msg.conversation)

    let records: DeliveryRecord[]
    let delays = new Map<string, number>()
    if (stored.state === 'routed') {
      // A redelivered route job: the plan is stored; enqueue what is still pending again.
      records = await deps.store.deliveries.listByMessage(msg.id)
    } else {
      const links = await deps.links.findByEndpoint(msg.conversation.network, msg.conversation.id)
      const plan = links.flatMap((link) => planLink(link, msg.conversation, msg.origin.sender, deps.limiter))
      delays = new Map(plan.map((p) => [p.target.targetKey, p.delayMs]))
      // Plan, refusals, the routed mark and the trace commit together. The deliver jobs are
      // enqueued after: if the process dies in between, this route job is redelivered and
      // takes the branch above.
      records = await deps.commit(async (tx) => {
        const created = await tx.deliveries.createMany(
          msg.id,
          convKey,
          plan.map((p) => p.target),
        )
        for (const p of plan)
          if (p.refused && created.find((r) => r.targetKey === p.target.targetKey)?.state === 'pending')
            await tx.deliveries.markRefused(msg.id, p.target.targetKey, p.refused)
        await tx.messages.markRouted(msg.id)
        const all = anyRefused(plan) ? await tx.deliveries.listByMessage(msg.id) : created
        await tx.traces.append(routeTrace(msg, job.attempt, started, all))
        return all
      })
    }

    const pending = records.filter((r) => r.state === 'pending')
    await deps.addDeliverJobs(
      pending.map((r) => ({
        id: deliverJobId(msg.id, r.targetKey),
        data: { messageId: msg.id, targetKey: r.targetKey },
        delayMs: delays.get(r.targetKey) ?? 0,
      })),
    )
  }
}

function anyRefused(plan: readonly Planned[]): boolean {
  return plan.some((p) => p.refused)
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

function planLink(
  link: Link,
  conversation: { network: string; id: string },
  sender: string,
  limiter: RateLimiter,
): Planned[] {
  const source = link.endpoints.find(
    (e) => e.network === conversation.network && e.address === conversation.id && e.direction !== 'in',
  )
  if (!source) return []
  const allowed = senderAllowed(link.acl.allowSenders, sender)
  const delayMs =
    allowed && link.rateLimitPerMinute
      ? limiter.reserve(`${link.id}\u0000${sender}`, link.rateLimitPerMinute)
      : 0
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
      delayMs,
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
