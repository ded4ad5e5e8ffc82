/**
 * A Mainframe node in its own process, driven by its parent over IPC (test/helpers/node-process.ts).
 * Real parts: the libp2p host, the direct protocol, a SQLite store in its data dir.
 */
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { Registry } from 'prom-client'
import { toHex } from '../../src/crypto/bytes.ts'
import { identityFromSeed } from '../../src/crypto/identity.ts'
import { createLogger } from '../../src/log/logger.ts'
import { nodeMetrics } from '../../src/node/metrics.ts'
import { startNode } from '../../src/node/node.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'

interface Spec {
  dir: string
  seedHex: string
  port: number
  bootstrap: string[]
  holdMaxPerSender: number
}

const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'))
const spec = JSON.parse(process.env.MFB_TEST_NODE ?? '{}') as Spec
const send = (message: unknown) => process.send?.(message)
const store = await openSqliteStore({ path: join(spec.dir, 'node.db') })
await store.migrate()
const registry = new Registry()
const node = await startNode(
  identityFromSeed(fromHex(spec.seedHex)),
  {
    listen: [`/ip4/127.0.0.1/tcp/${spec.port}`],
    bootstrap: spec.bootstrap,
    maxConnections: 100,
    privateAddresses: true,
    maxMessageBytes: 16 * 1024 * 1024,
    timeoutMs: 10_000,
    hold: {
      replicas: 3,
      ttlSeconds: 3600,
      maxPerSender: spec.holdMaxPerSender,
      maxBytesPerSender: 64 << 20,
      fetchIntervalMs: 2000,
    },
  },
  {
    dedupe: store.dedupe,
    held: store.held,
    log: createLogger({ level: 'warn' }),
    metrics: nodeMetrics(registry),
  },
)
node.onDirect(async (m) => {
  send({ event: 'direct', mid: toHex(m.mid), from: m.from, payload: toHex(m.payload) })
})

type Command = { id: number; op: string; args: Record<string, string> }
const ops: Record<string, (args: Record<string, string>) => Promise<unknown>> = {
  send: async ({ to, payload, mid }) => {
    const receipt = await node.send(
      to as string,
      fromHex(payload as string),
      mid ? { mid: fromHex(mid) } : {},
    )
    return { recipient: receipt.recipient, deliveredAt: receipt.deliveredAt, mid: toHex(receipt.mid) }
  },
  sendOrHold: async ({ to, payload, mid }) => {
    const outcome = await node.sendOrHold(to as string, fromHex(payload as string), {
      mid: fromHex(mid as string),
    })
    return outcome.kind === 'held' ? { kind: 'held', holders: outcome.holders } : { kind: 'delivered' }
  },
  heldStats: async () => store.held.stats(),
  fetchHeld: async () => node.fetchHeld(),
  peers: async () => node.peers().map((p) => p.peerId),
  findPeer: async ({ peer }) => {
    const info = await node.host.peerRouting.findPeer(peerIdFromString(peer as string), {
      signal: AbortSignal.timeout(10_000),
    })
    return info.multiaddrs.map(String)
  },
  metrics: async () => registry.metrics(),
}
process.on('message', async (command: Command) => {
  try {
    send({
      id: command.id,
      ok: true,
      value: await (ops[command.op] as (a: Record<string, string>) => Promise<unknown>)(command.args),
    })
  } catch (err) {
    const e = err as { code?: string; message?: string }
    send({ id: command.id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } })
  }
})
process.once('SIGTERM', async () => {
  await node.stop()
  await store.close()
  process.exit(0)
})
send({ event: 'ready', peerId: node.identity.peerId, addresses: node.addresses() })
