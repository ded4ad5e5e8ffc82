import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { Registry } from 'prom-client'
import { authErrors, bearer } from '../schemas.ts'

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics',
  tags: ['operations'],
  security: bearer('read'),
  responses: {
    200: {
      content: { 'text/plain': { schema: z.string() } },
      description: 'Metrics in the Prometheus text format',
    },
    ...authErrors,
  },
})

/** The OpenAPI document itself; app.ts serves it because it needs the whole app's registry. */
export const openApiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  summary: 'This OpenAPI document',
  tags: ['operations'],
  security: bearer('read'),
  responses: {
    200: {
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      description: 'OpenAPI 3.1',
    },
    ...authErrors,
  },
})

/** /metrics for Prometheus (scrape with a read token: `authorization: { credentials: … }`). */
export function metricsRoutes(registry: Registry, read: MiddlewareHandler): OpenAPIHono {
  const app = new OpenAPIHono()
  app.openapi({ ...metricsRoute, middleware: [read] as const }, async (c) => {
    c.header('content-type', registry.contentType)
    return c.text(await registry.metrics(), 200)
  })
  return app
}
