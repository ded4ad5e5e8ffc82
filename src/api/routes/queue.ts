import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { BridgeError } from '../../core/errors.ts'
import type { QueueDriver } from '../../queue/port.ts'
import { DELIVER_QUEUES } from '../../relay/keys.ts'
import type { Relay } from '../../relay/pipeline.ts'
import type { Store } from '../../store/port.ts'
import { authErrors, bearer, errorSchema } from '../schemas.ts'

const countsSchema = z.object({
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  dead: z.number().int(),
})
const deadSchema = z.object({
  id: z.string().meta({ description: 'Job id; POST /v1/queue/dead/{id}/retry moves it back' }),
  stage: z.enum(['deliver']),
  messageId: z.string(),
  attempts: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }),
  failedAt: z.number(),
})
const queueSchema = z
  .object({
    driver: z.enum(['sqlite', 'bullmq']),
    stages: z.object({ route: countsSchema, deliver: countsSchema }),
    deliveries: z.object({
      pending: z.number(),
      delivered: z.number(),
      dead: z.number(),
      refused: z.number(),
    }),
    dead: z.array(deadSchema),
  })
  .openapi('Queue')

const getQueue = createRoute({
  method: 'get',
  path: '/v1/queue',
  summary: 'Depth of each stage, delivery totals and the newest dead letters',
  tags: ['queue'],
  security: bearer('read'),
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  responses: {
    200: { content: { 'application/json': { schema: queueSchema } }, description: 'Queue state' },
    ...authErrors,
  },
})
const retry = createRoute({
  method: 'post',
  path: '/v1/queue/dead/{id}/retry',
  summary: 'Move a dead letter back to work, attempts reset',
  tags: ['queue'],
  security: bearer('admin'),
  request: { params: z.object({ id: z.string().min(1).max(256) }) },
  responses: {
    202: {
      content: { 'application/json': { schema: z.object({ id: z.string(), requeued: z.literal(true) }) } },
      description: 'Requeued',
    },
    404: { content: { 'application/json': { schema: errorSchema } }, description: 'No such dead letter' },
    ...authErrors,
  },
})

export function queueRoutes(
  deps: { store: Store; queue: QueueDriver; relay: Relay },
  read: MiddlewareHandler,
  admin: MiddlewareHandler,
): OpenAPIHono {
  const app = new OpenAPIHono()
  app.openapi({ ...getQueue, middleware: [read] as const }, async (c) => {
    const { limit } = c.req.valid('query')
    const [stages, deliveries, ...deadPerQueue] = await Promise.all([
      deps.relay.counts(),
      deps.store.deliveries.countByState(),
      ...DELIVER_QUEUES.map((name) => deps.queue.dead<{ messageId: string }>(name, { limit })),
    ])
    const deadDeliver = (
      deadPerQueue as Awaited<ReturnType<typeof deps.queue.dead<{ messageId: string }>>>[]
    ).flat()
    // Routing runs inline at ingest (a failure there goes back to the sender), so every dead
    // letter is a delivery.
    const dead = deadDeliver
      .sort((a, b) => b.failedAt - a.failedAt)
      .slice(0, limit)
      .map((j) => ({
        id: j.id,
        stage: 'deliver' as const,
        messageId: j.data.messageId,
        attempts: j.attempts,
        error: j.error,
        failedAt: j.failedAt,
      }))
    return c.json({ driver: deps.queue.name, stages, deliveries, dead }, 200)
  })
  app.openapi({ ...retry, middleware: [admin] as const }, async (c) => {
    const { id } = c.req.valid('param')
    if (!(await deps.relay.retryDead(id)))
      throw new BridgeError('DEAD_LETTER_NOT_FOUND', `no dead letter ${id.slice(0, 80)}`, {
        status: 404,
        hint: 'GET /v1/queue lists the dead letters',
      })
    return c.json({ id, requeued: true as const }, 202)
  })
  return app
}
