import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'

/** A dependency /readyz checks: resolves when healthy, throws (with a short reason) when not. */
export interface ReadinessCheck {
  readonly name: string
  check(): Promise<void>
}

const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health')
const readySchema = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .openapi('Readiness')

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the process serves HTTP',
  tags: ['health'],
  responses: { 200: { content: { 'application/json': { schema: healthSchema } }, description: 'Alive' } },
})

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: every dependency answers',
  tags: ['health'],
  responses: {
    200: { content: { 'application/json': { schema: readySchema } }, description: 'Ready' },
    503: { content: { 'application/json': { schema: readySchema } }, description: 'A dependency failed' },
  },
})

/** /healthz and /readyz: the only routes served without a token. Readiness names failing checks, never their secrets. */
export function healthRoutes(checks: readonly ReadinessCheck[]): OpenAPIHono {
  const app = new OpenAPIHono()
  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
  app.openapi(readyz, async (c) => {
    const results = await Promise.all(
      checks.map(async (check) => {
        try {
          await withTimeout(check.check(), 2_000)
          return [check.name, { ok: true }] as const
        } catch (err) {
          const reason = (err as { code?: string }).code ?? 'failed'
          return [check.name, { ok: false, error: reason }] as const
        }
      }),
    )
    const ok = results.every(([, r]) => r.ok)
    const body = {
      status: ok ? ('ready' as const) : ('not-ready' as const),
      checks: Object.fromEntries(results),
    }
    return ok ? c.json(body, 200) : c.json(body, 503)
  })
  return app
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
