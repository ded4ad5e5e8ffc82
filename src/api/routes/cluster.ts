import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { LIVE_WINDOW_MS } from '../../cluster/heartbeat.ts'
import type { QueueCounts } from '../../queue/port.ts'
import type { Store } from '../../store/port.ts'
import { authErrors, bearer } from '../schemas.ts'

const counts = z.object({ waiting: z.number(), active: z.number(), delayed: z.number(), dead: z.number() })
const clusterSchema = z
  .object({
    self: z.string().meta({ description: 'The id of the process that answered' }),
    processes: z.array(
      z.object({
        id: z.string(),
        role: z.enum(['all', 'worker', 'node']),
        host: z.string(),
        pid: z.number(),
        version: z.string(),
        startedAt: z.number(),
        lastSeen: z.number(),
      }),
    ),
    leases: z.array(
      z.object({
        name: z.string(),
        holder: z.string(),
        token: z.number(),
        acquiredAt: z.number(),
        expiresAt: z.number(),
        live: z.boolean(),
      }),
    ),
    queues: z
      .object({ route: counts, deliver: counts })
      .nullable()
      .meta({ description: 'null in a process without the pipeline' }),
  })
  .openapi('Cluster')

const route = createRoute({
  method: 'get',
  path: '/v1/cluster',
  summary: 'Live processes and their roles, leases and their holders, queue depths',
  tags: ['operations'],
  security: bearer('read'),
  responses: {
    200: { content: { 'application/json': { schema: clusterSchema } }, description: 'The cluster' },
    ...authErrors,
  },
})

export interface ClusterRoutesDeps {
  readonly store: Store
  readonly self: string
  readonly queueCounts?: () => Promise<Record<'route' | 'deliver', QueueCounts>>
}

export function clusterRoutes(deps: ClusterRoutesDeps, read: MiddlewareHandler): OpenAPIHono {
  const app = new OpenAPIHono()
  app.openapi({ ...route, middleware: [read] as const }, async (c) => {
    const now = Date.now()
    const [processes, leases, queues] = await Promise.all([
      deps.store.processes.list(now - LIVE_WINDOW_MS),
      deps.store.leases.list(),
      deps.queueCounts ? deps.queueCounts() : Promise.resolve(null),
    ])
    return c.json(
      { self: deps.self, processes, leases: leases.map((l) => ({ ...l, live: l.expiresAt > now })), queues },
      200,
    )
  })
  return app
}
