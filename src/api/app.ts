import { OpenAPIHono } from '@hono/zod-openapi'
import type { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Registry } from 'prom-client'
import { BridgeError } from '../core/errors.ts'
import { describeIssues } from '../core/validate.ts'
import type { Logger } from '../log/logger.ts'
import type { QueueDriver } from '../queue/port.ts'
import type { Relay } from '../relay/pipeline.ts'
import type { LinkRepo, Store, TokenRepo } from '../store/port.ts'
import { requireScope } from './auth.ts'
import { errorResponse, notFound } from './errors.ts'
import { httpMetrics } from './metrics.ts'
import { type ClusterRoutesDeps, clusterRoutes } from './routes/cluster.ts'
import { type GroupsApi, groupRoutes } from './routes/groups.ts'
import { healthRoutes, type ReadinessCheck } from './routes/health.ts'
import { identityRoutes } from './routes/identities.ts'
import { linkRoutes } from './routes/links.ts'
import { MEDIA_UPLOAD_PATH, mediaRoutes } from './routes/media.ts'
import { messageRoutes } from './routes/messages.ts'
import { metricsRoutes, openApiRoute } from './routes/meta.ts'
import { type NodeInfo, nodeRoutes } from './routes/node.ts'
import { queueRoutes } from './routes/queue.ts'

/** The relay pipeline's parts the API serves (absent in a process that runs no pipeline). */
export interface PipelineApi {
  readonly store: Store
  /** Links, through the same cache the relay reads, so a change here applies at once. */
  readonly links: LinkRepo
  readonly queue: QueueDriver
  readonly relay: Relay
  /** The `mf:` address messages sent through the API come from by default. */
  readonly nodeAddress: string
  /** Each adapter's own routes, mounted at /adapters/<network>/ (they authenticate themselves). */
  readonly adapterRoutes: ReadonlyMap<string, Hono>
  /** Routes at fixed paths of a network's spec (Matrix's /_matrix/), mounted at the root. */
  readonly specRoutes?: Hono
}

export interface ApiDeps {
  readonly tokens: TokenRepo
  /** The cluster view (absent in unit tests of the API alone). */
  readonly cluster?: Omit<ClusterRoutesDeps, 'queueCounts'>
  readonly pipeline?: PipelineApi
  readonly node: NodeInfo
  /** The node's groups, in processes that hold a node (roles all and node). */
  readonly groups?: GroupsApi
  readonly metrics: Registry
  readonly readiness: readonly ReadinessCheck[]
  readonly log: Logger
  readonly maxBodyBytes: number
}

/**
 * The bridge's HTTP API as a Hono app (no socket: tests call `app.request()`).
 * Everything but /healthz and /readyz needs a bearer token; every error leaves as
 * `{"error": {"code", "message", "hint"}}`.
 */
export function createApi(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success)
        throw new BridgeError('INVALID_REQUEST', `invalid request: ${describeIssues(result.error.issues)}`, {
          status: 400,
          hint: 'fix the fields named above; /openapi.json has the schema',
        })
    },
  })
  const read = requireScope(deps.tokens, 'read')

  app.onError((err, c) => errorResponse(c, err, deps.log))
  app.notFound(notFound)
  app.use(httpMetrics(deps.metrics))
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: () => {
      throw new BridgeError('BODY_TOO_LARGE', `request body larger than ${deps.maxBodyBytes} bytes`, {
        status: 413,
        hint: 'send a smaller body, or raise api.max_body_bytes',
      })
    },
  })
  // A homeserver's transactions (up to 100 events of 64 KiB) have their own limit there, as
  // have uploaded files (routes/media.ts).
  app.use((c, next) =>
    c.req.path.startsWith('/_matrix/') || (c.req.method === 'POST' && c.req.path === MEDIA_UPLOAD_PATH)
      ? next()
      : limit(c, next),
  )

  app.route('/', healthRoutes(deps.readiness))
  app.route('/', nodeRoutes(deps.node, read))
  const pipeline = deps.pipeline
  if (deps.cluster)
    app.route(
      '/',
      clusterRoutes(
        { ...deps.cluster, ...(pipeline ? { queueCounts: () => pipeline.relay.counts() } : {}) },
        read,
      ),
    )
  if (pipeline) {
    const send = requireScope(deps.tokens, 'send')
    const admin = requireScope(deps.tokens, 'admin')
    app.route('/', messageRoutes(pipeline, send, read))
    app.route('/', linkRoutes(pipeline.links, read, admin))
    app.route('/', queueRoutes(pipeline, read, admin))
    app.route('/', identityRoutes(pipeline.store.identities, read))
    app.route('/', mediaRoutes(pipeline.store.blobs, send, read))
    for (const [network, routes] of pipeline.adapterRoutes) app.route(`/adapters/${network}`, routes)
    if (pipeline.specRoutes) app.route('/', pipeline.specRoutes)
  }

  if (deps.groups) app.route('/', groupRoutes(deps.groups, read, requireScope(deps.tokens, 'admin')))
  app.route('/', metricsRoutes(deps.metrics, read))

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token; scopes: read, send (implies read), admin (implies all)',
  })
  app.openapi({ ...openApiRoute, middleware: [read] as const }, (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Mainframe Bridge API',
          version: deps.node.version,
          description: 'Relay messages between Mainframe, Matrix, email and EVM chains.',
        },
      }),
      200,
    ),
  )
  return app
}
