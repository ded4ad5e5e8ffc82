/**
 * A Mainframe node with the group service in its own process, driven by its parent over IPC
 * (test/helpers/group-node-process.ts). Real parts: the libp2p host, direct messages,
 * gossipsub, the group service, a SQLite store in its data dir.
 */
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { identityFromSeed } from '../../src/crypto/identity.ts'
import { createLogger } from '../../src/log/logger.ts'
import { StateSealer } from '../../src/node/groups/at-rest.ts'
import { decryptMessage, deserializeGroup } from '../../src/node/groups/mls.ts'
import { GroupService } from '../../src/node/groups/service.ts'
import { nodeMetrics } from '../../src/node/metrics.ts'
import { startNode } from '../../src/node/node.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'

interface Spec {
  dir: string
  seedHex: string
  port: number
  bootstrap: string[]
  /** Packet holding on, and the group service sending with sendOrHold; off: plain send. */
  hold: boolean
}

const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'))
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const spec = JSON.parse(process.env.MFB_TEST_NODE ?? '{}') as Spec
const send = (message: unknown) => process.send?.(message)
const store = await openSqliteStore({ path: join(spec.dir, 'node.db') })
await store.migrate()
const registry = new Registry()
const metrics = nodeMetrics(registry)
const log = createLogger({ level: 'warn' })
const identity = identityFromSeed(fromHex(spec.seedHex))
const node = await startNode(
  identity,
  {
    listen: [`/ip4/127.0.0.1/tcp/${spec.port}`],
    bootstrap: spec.bootstrap,
    maxConnections: 100,
    privateAddresses: true,
    maxMessageBytes: 16 * 1024 * 1024,
    timeoutMs: 5_000,
    ...(spec.hold
      ? {
          hold: {
            replicas: 3,
            ttlSeconds: 3600,
            maxPerSender: 1000,
            maxBytesPerSender: 64 << 20,
            fetchIntervalMs: 1000,
          },
        }
      : {}),
  },
  { dedupe: store.dedupe, held: store.held, log, metrics },
)
// What this node published on group topics, so a test can feed a ciphertext to another node.
const published: { topic: string; data: string }[] = []
const pubsub = node.host.services.pubsub
const publish = pubsub.publish.bind(pubsub)
pubsub.publish = (topic: string, data: Uint8Array) => {
  published.push({ topic, data: toHex(data) })
  return publish(topic, data)
}
const groups = new GroupService({
  host: node.host,
  identity,
  groups: store.groups,
  dedupe: store.dedupe,
  send: spec.hold
    ? (peer, payload, options) => node.sendOrHold(peer, payload, options)
    : (peer, payload, options) => node.send(peer, payload, options),
  log,
  metrics,
  outbox: { minDelayMs: 300, maxDelayMs: 2_000 },
})
node.onGroupControl((m) => groups.handleControl(m))
groups.onMessage(async (m) => {
  send({
    event: 'group-message',
    groupId: m.groupId,
    from: m.from,
    text: Buffer.from(m.plaintext).toString(),
  })
})
groups.onRemoved((groupId) => send({ event: 'removed', groupId }))
await groups.start()

type Args = Record<string, string>
const ops: Record<string, (args: Args) => Promise<unknown>> = {
  create: () => groups.create(),
  add: ({ group, peer }) => groups.addMember(group as string, peer as string),
  remove: ({ group, peer }) => groups.removeMember(group as string, peer as string),
  update: ({ group }) => groups.updateKeys(group as string),
  publish: ({ group, text }) => groups.publish(group as string, new TextEncoder().encode(text)),
  list: async () => groups.list(),
  peers: async () => node.peers().map((p) => p.peerId),
  pending: async ({ peer }) => groups.pendingDeliveries(peer),
  published: async () => published,
  /** The stored (sealed) state row of a group, to try old keys on later messages. */
  snapshot: async ({ group }) => {
    const row = await store.groups.get(group as string)
    return row ? toHex(row.state) : null
  },
  /** Decrypts a topic message with a snapshot of this node's state: the error code, or the text. */
  tryDecrypt: async ({ group, snapshot, data }) => {
    const state = deserializeGroup(
      new StateSealer(identity).open(group as string, fromHex(snapshot as string)),
      identity,
    )
    try {
      const got = await decryptMessage(state, fromHex(data as string).subarray(1))
      return { text: Buffer.from(got.plaintext).toString() }
    } catch (err) {
      return { code: (err as { code?: string }).code }
    }
  },
  metrics: async () => registry.metrics(),
}
process.on('message', async (command: { id: number; op: string; args: Args }) => {
  try {
    const op = ops[command.op]
    if (!op) throw new Error(`unknown op ${command.op}`)
    send({ id: command.id, ok: true, value: await op(command.args) })
  } catch (err) {
    const e = err as { code?: string; message?: string }
    send({ id: command.id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } })
  }
})
process.once('SIGTERM', async () => {
  await groups.stop()
  await node.stop()
  await store.close()
  process.exit(0)
})
send({ event: 'ready', peerId: node.identity.peerId, addresses: node.addresses() })
