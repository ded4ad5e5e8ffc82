import { Hono } from 'hono'
import type { Registry } from 'prom-client'
import { type GroupsPort, type IdentitiesPort, mainframe } from '../adapters/mainframe/index.ts'
import { matrix } from '../adapters/matrix/index.ts'
import { portalLinks } from '../adapters/matrix/portals.ts'
import { loadRegistration } from '../adapters/matrix/registration.ts'
import { webhook } from '../adapters/webhook/index.ts'
import { type Adapter, reportsHealth } from './adapter.ts'
import type { PipelineApi } from './api/app.ts'
import type { ReadinessCheck } from './api/routes/health.ts'
import type { Config } from './config/schema.ts'
import { BridgeError } from './core/errors.ts'
import type { Logger } from './log/logger.ts'
import type { MainframeNode } from './node/node.ts'
import { openQueue } from './queue/index.ts'
import { DELIVER_QUEUE, type DeliverQueue, NODE_DELIVER_QUEUE } from './relay/keys.ts'
import { CachedLinks } from './relay/link-cache.ts'
import { relayMetrics } from './relay/metrics.ts'
import { createRelay } from './relay/pipeline.ts'
import type { ProcessRole, Store } from './store/port.ts'
import { VERSION } from './version.ts'

export interface Pipeline {
  readonly api: PipelineApi
  /** One /readyz check per adapter that reports its health (Matrix: the homeserver ping). */
  readonly readiness: ReadinessCheck[]
  /** Stops adapters, drains the workers (active jobs finish), closes the queue. */
  stop(): Promise<void>
}

/**
 * Opens the queue, builds the adapters of this process's role and the relay, starts the
 * workers and the adapters. Role `worker` runs the enabled adapters and the deliver queue;
 * role `node` the mainframe adapter (over `mesh`: the node, its groups and bridge identities)
 * and its deliver queue; `all` both. The
 * order of stop is the reverse: nothing new comes in, then what is running finishes, then
 * the queue closes.
 */
export async function startPipeline(
  config: Config,
  store: Store,
  nodeAddress: string,
  log: Logger,
  registry: Registry,
  processId: string,
  role: ProcessRole,
  mesh?: { node: MainframeNode; groups?: GroupsPort; identities?: IdentitiesPort },
): Promise<Pipeline> {
  const queue = await openQueue(
    config.queue.driver === 'bullmq'
      ? { driver: 'bullmq', redis: config.queue.redis }
      : { driver: 'sqlite', sqlite: config.queue.sqlite },
    { onError: (err) => log.warn({ err }, 'queue background error') },
  )
  const adapters = new Map<string, Adapter>()
  const links = new CachedLinks(store.links)
  const components = {
    log,
    links,
    messages: { origin: async (id: string) => (await store.messages.get(id))?.message.origin },
  }
  const node = mesh?.node
  if (node)
    adapters.set(
      'mainframe',
      mainframe(
        {
          peerId: node.identity.peerId,
          maxMessageBytes: config.node.max_message_bytes,
          send: (peerId, payload, options) => node.sendOrHold(peerId, payload, options),
          onDirect: (handler) => node.onDirect(handler),
        },
        mesh.groups,
        mesh.identities,
        store.blobs,
      )({ ...components, log: log.child({ adapter: 'mainframe' }) }),
    )
  if (role !== 'node' && config.adapters.webhook.enabled) {
    const factory = webhook({
      toleranceSeconds: config.adapters.webhook.signature_tolerance_s,
      userAgent: `mainframe-bridge/${VERSION}`,
    })
    adapters.set('webhook', factory({ ...components, log: log.child({ adapter: 'webhook' }) }))
  }
  const matrixConfig = config.adapters.matrix
  if (role !== 'node' && matrixConfig.enabled) {
    const factory = matrix({
      homeserverUrl: matrixConfig.homeserver_url,
      serverName: matrixConfig.server_name,
      registration: await loadRegistration(matrixConfig.registration),
      maxBodyBytes: matrixConfig.max_body_bytes,
      mediaMaxBytes: matrixConfig.media_max_bytes,
      dedupe: store.dedupe,
      cursors: store.cursors,
      natives: store.natives,
      blobs: store.blobs,
      portals: portalLinks(links),
    })
    adapters.set('matrix', factory({ ...components, log: log.child({ adapter: 'matrix' }) }))
  }
  const relay = createRelay({
    store,
    links,
    queue,
    adapters,
    log,
    processId,
    metrics: relayMetrics(registry),
    options: {
      attempts: config.relay.attempts,
      backoff: { baseMs: config.relay.backoff_ms, maxMs: config.relay.max_backoff_ms },
      concurrency: { route: config.relay.route_concurrency, deliver: config.relay.deliver_concurrency },
      deliveryTimeoutMs: config.relay.delivery_timeout_ms,
      sweepIntervalMs: config.relay.sweep_interval_ms,
      deliverQueues: deliverQueuesOf(role),
    },
  })
  const controller = new AbortController()
  const adapterRoutes = new Map<string, Hono>()
  const specRoutes = new Hono()
  for (const [network, adapter] of adapters) {
    const routes = new Hono()
    adapterRoutes.set(network, routes)
    await adapter.start({
      ingest: (msg) => relay.ingest(msg, network),
      routes,
      specRoutes,
      signal: controller.signal,
    })
  }
  await relay.start()
  log.info({ queue: queue.name, adapters: [...adapters.keys()] }, 'pipeline started')
  return {
    api: { store, links, queue, relay, nodeAddress, adapterRoutes, specRoutes },
    readiness: [...adapters.values()].filter(reportsHealth).map((adapter) => ({
      name: adapter.network,
      async check() {
        const { ok, detail } = await adapter.health()
        if (!ok)
          throw new BridgeError('ADAPTER_UNHEALTHY', `${adapter.network}: ${detail ?? 'not healthy'}`, {
            retryable: true,
            status: 503,
          })
      },
    })),
    async stop() {
      controller.abort()
      for (const adapter of adapters.values())
        await adapter.stop().catch((err) => log.warn({ err }, 'adapter stop failed'))
      await relay.stop()
      await queue.close()
    },
  }
}

function deliverQueuesOf(role: ProcessRole): DeliverQueue[] {
  if (role === 'node') return [NODE_DELIVER_QUEUE]
  if (role === 'worker') return [DELIVER_QUEUE]
  return [DELIVER_QUEUE, NODE_DELIVER_QUEUE]
}
