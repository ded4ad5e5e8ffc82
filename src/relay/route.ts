import { BridgeError } from '../core/errors.ts'
import type { Job, QueueDriver } from '../queue/port.ts'
import type { DeliveryRecord, DeliveryTarget, Link, Store } from '../store/port.ts'
import { senderAllowed } from './acl.ts'
import { messageMissing } from './errors.ts'
import {
  conversationKey,
  DELIVER_QUEUE,
  type DeliverJob,
  deliverJobId,
  type RouteJob,
  targetKey,
} from './keys.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { Tracer } from './trace.ts'

export interface RouteDeps {
  readonly store: Store
  readonly queue: QueueDriver
  readonly limiter: RateLimiter
  readonly tracer: Tracer
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
      records = await deps.store.deliveries.listByMessage(msg.id)
    } else {
      const links = await deps.store.links.findByEndpoint(msg.conversation.network, msg.conversation.id)
      const plan = links.flatMap((link) => planLink(link, msg.conversation, msg.origin.sender, deps.limiter))
      records = await deps.store.transaction(async (tx) => {
        const created = await tx.deliveries.createMany(
          msg.id,
          convKey,
          plan.map((p) => p.target),
        )
        for (const p of plan)
          if (p.refused && created.find((r) => r.targetKey === p.target.targetKey)?.state === 'pending')
            await tx.deliveries.markRefused(msg.id, p.target.targetKey, p.refused)
        return tx.deliveries.listByMessage(msg.id)
      })
      delays = new Map(plan.map((p) => [p.target.targetKey, p.delayMs]))
    }

    const pending = records.filter((r) => r.state === 'pending')
    await deps.queue.add<DeliverJob>(
      DELIVER_QUEUE,
      pending.map((r) => ({
        id: deliverJobId(msg.id, r.targetKey),
        data: { messageId: msg.id, targetKey: r.targetKey },
        delayMs: delays.get(r.targetKey) ?? 0,
      })),
    )
    if (stored.state !== 'routed') await deps.store.messages.markRouted(msg.id)

    const refused = records.filter((r) => r.state === 'refused')
    const noRoute =
      records.length === 0
        ? new BridgeError(
            'NO_ROUTE',
            `no link sends from ${msg.conversation.network} conversation ${msg.conversation.id}`,
            {
              hint: 'create a link with this conversation as an endpoint (POST /v1/links)',
            },
          )
        : undefined
    await deps.tracer.record({
      messageId: msg.id,
      targetKey: null,
      stage: 'route',
      attempt: job.attempt,
      startedAt: started,
      outcome: noRoute ? 'refused' : 'ok',
      error: noRoute
        ? { code: noRoute.code, message: noRoute.shortMessage }
        : (refused[0]?.lastError ?? null),
    })
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
