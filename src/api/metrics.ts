import type { MiddlewareHandler } from 'hono'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/** A metrics registry of the process: Node's default metrics plus HTTP request counts and latencies. */
export function createMetrics(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'mfb_' })
  return registry
}

/** Counts and times every request by method, matched route pattern (never the raw path) and status. */
export function httpMetrics(registry: Registry): MiddlewareHandler {
  const requests = new Counter({
    name: 'mfb_http_requests_total',
    help: 'HTTP requests served, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'mfb_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  })
  return async function measure(c, next) {
    const stop = duration.startTimer()
    await next()
    const route = c.req.routePath || 'unmatched'
    stop({ method: c.req.method, route })
    requests.inc({ method: c.req.method, route, status: String(c.res.status) })
  }
}
