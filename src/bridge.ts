import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ServerType } from '@hono/node-server'
import { serve } from '@hono/node-server'
import { createApi } from './api/app.ts'
import { createMetrics } from './api/metrics.ts'
import { hashToken } from './api/tokens.ts'
import { processIdentity, startHeartbeat } from './cluster/heartbeat.ts'
import { claimSingleStore } from './cluster/single-store-guard.ts'
import type { Config } from './config/schema.ts'
import { BridgeError } from './core/errors.ts'
import type { NodeIdentity } from './crypto/identity.ts'
import type { Logger } from './log/logger.ts'
import { GroupService } from './node/groups/service.ts'
import { BridgeIdentities } from './node/identities/service.ts'
import { nodeMetrics } from './node/metrics.ts'
import { type NodeOptions, startNode } from './node/node.ts'
import { startPipeline } from './pipeline.ts'
import { openStore, type StoreConfig } from './store/index.ts'
import type { ProcessRole, Store } from './store/port.ts'
import { VERSION } from './version.ts'

export interface RunningBridge {
  /** The address the API listens on, e.g. `127.0.0.1:8080` (the real port when 0 was asked). */
  readonly apiAddress: string
  readonly store: Store
  /** Stops accepting requests, drains the pipeline (active jobs finish), leaves the cluster, closes the store. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts one bridge process: store (migrated), the Mainframe node (roles `all` and `node`),
 * the relay pipeline with the adapters of its role (see startPipeline), the HTTP API, and its
 * heartbeat in the cluster registry.
 * @throws BridgeError when the store cannot open or the API address is taken;
 *   ConfigError CLUSTER_STORE_NOT_SHARED when another process shares the queue but not the store.
 */
export async function startBridge(
  config: Config,
  identity: NodeIdentity,
  log: Logger,
  role: ProcessRole = 'all',
): Promise<RunningBridge> {
  const me = processIdentity(role)
  const store = await openStore(storeConfig(config))
  const cleanup: (() => Promise<void>)[] = [() => store.close()]
  const unwind = async () => {
    for (const step of cleanup.splice(0).reverse())
      await step().catch((err) => log.warn({ err }, 'stop step failed'))
  }
  try {
    const applied = await store.migrate()
    if (applied.length) log.info({ migrations: applied }, 'store migrated')
    await ensureAdminToken(store, config.data_dir, log)
    if (config.queue.driver === 'bullmq' && config.store.driver === 'sqlite') {
      const claim = await claimSingleStore(config.queue.redis.url, config.queue.redis.prefix, me.id, log)
      cleanup.push(() => claim.stop())
    }
    const heartbeat = await startHeartbeat(store, me, log)
    cleanup.push(() => heartbeat.stop())
    const metrics = createMetrics()
    const nodeCounters = nodeMetrics(metrics)
    const node =
      role === 'worker'
        ? undefined
        : await startNode(identity, nodeOptions(config), {
            dedupe: store.dedupe,
            held: store.held,
            log: log.child({ component: 'node' }),
            metrics: nodeCounters,
          })
    let groups: GroupService | undefined
    let identities: BridgeIdentities | undefined
    if (node) {
      cleanup.push(() => node.stop())
      log.info({ addresses: node.addresses() }, 'node listening')
      const service = new GroupService({
        host: node.host,
        identity,
        groups: store.groups,
        dedupe: store.dedupe,
        send: (peer, payload, options) => node.sendOrHold(peer, payload, options),
        log: log.child({ component: 'groups' }),
        metrics: nodeCounters,
      })
      node.onGroupControl((message) => service.handleControl(message))
      await service.start()
      cleanup.push(() => service.stop())
      groups = service
      identities = new BridgeIdentities(
        {
          host: node.host,
          node: identity,
          repo: store.identities,
          log: log.child({ component: 'identities' }),
        },
        { timeoutMs: config.node.timeout_ms },
      )
      identities.start()
      const started = identities
      cleanup.push(() => started.stop())
    }
    const pipeline = await startPipeline(
      config,
      store,
      `mf:${identity.peerId}`,
      log,
      metrics,
      me.id,
      role,
      node ? { node, groups, identities } : undefined,
    )
    cleanup.push(() => pipeline.stop())
    const api = createApi({
      pipeline: pipeline.api,
      cluster: { store, self: me.id },
      tokens: store.tokens,
      node: {
        peerId: identity.peerId,
        ed25519PublicKey: identity.publicKey,
        x25519PublicKey: identity.x25519PublicKey,
        listen: config.node.listen,
        version: VERSION,
        ...(node ? { live: { addresses: () => node.addresses(), peers: () => node.peers() } } : {}),
      },
      ...(groups ? { groups } : {}),
      metrics,
      readiness: [
        { name: 'store', check: () => store.ping() },
        { name: 'queue', check: async () => void (await pipeline.api.queue.counts('deliver')) },
        ...pipeline.readiness,
        ...(node
          ? [
              {
                name: 'node',
                check: async () => {
                  if (node.host.status !== 'started')
                    throw new BridgeError('NODE_NOT_RUNNING', `the libp2p host is ${node.host.status}`)
                },
              },
            ]
          : []),
      ],
      log,
      maxBodyBytes: config.api.max_body_bytes,
    })
    const server = await listen(api.fetch, config.api.listen)
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const apiAddress = addressOf(server, config.api.listen)
    log.info(
      { api: apiAddress, peerId: identity.peerId, dataDir: config.data_dir, role, process: me.id },
      'bridge started',
    )
    let stopping: Promise<void> | undefined
    return {
      apiAddress,
      store,
      stop: () => {
        stopping ??= unwind().then(() => log.info('bridge stopped'))
        return stopping
      },
    }
  } catch (err) {
    await unwind()
    throw err
  }
}

function storeConfig(config: Config): StoreConfig {
  return config.store.driver === 'postgres'
    ? { driver: 'postgres', postgres: config.store.postgres }
    : { driver: 'sqlite', sqlite: config.store.sqlite }
}

/** Registers the token in <data_dir>/admin.token, unless it is already known (or was revoked). */
async function ensureAdminToken(store: Store, dataDir: string, log: Logger): Promise<void> {
  let token: string
  try {
    token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim()
  } catch {
    return
  }
  if (!token) return
  const hash = hashToken(token)
  if (await store.tokens.findByHash(hash)) return
  await store.tokens.create({ name: 'admin', tokenHash: hash, scopes: ['admin'] })
  log.info('admin token registered from admin.token')
}

function listen(fetch: (req: Request) => Response | Promise<Response>, address: string): Promise<ServerType> {
  const colon = address.lastIndexOf(':')
  const hostname = address.slice(0, colon).replace(/^\[|\]$/g, '')
  const port = Number(address.slice(colon + 1))
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port })
    server.once('listening', () => resolve(server))
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(
        new BridgeError('API_LISTEN_FAILED', `cannot listen on ${address} (${cause.code ?? cause.message})`, {
          cause,
          hint:
            cause.code === 'EADDRINUSE'
              ? 'another process uses this port: stop it, or set api.listen (MFB_API__LISTEN) to a free one'
              : 'check api.listen in the config',
        }),
      ),
    )
  })
}

function addressOf(server: ServerType, fallback: string): string {
  const bound = server.address()
  if (bound && typeof bound === 'object') {
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
    return `${host}:${bound.port}`
  }
  return fallback
}

function nodeOptions(config: Config): NodeOptions {
  return {
    listen: config.node.listen,
    bootstrap: config.node.bootstrap,
    maxConnections: config.node.max_connections,
    privateAddresses: config.node.private_addresses,
    maxMessageBytes: config.node.max_message_bytes,
    timeoutMs: config.node.timeout_ms,
    ...(config.node.hold.enabled
      ? {
          hold: {
            replicas: config.node.hold.replicas,
            ttlSeconds: config.node.hold.ttl_s,
            maxPerSender: config.node.hold.max_per_sender,
            maxBytesPerSender: config.node.hold.max_bytes_per_sender,
            fetchIntervalMs: config.node.hold.fetch_interval_ms,
          },
        }
      : {}),
  }
}
