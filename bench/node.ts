/**
 * bench:node — direct messages/s between two nodes, 1 KiB each, sealed to the recipient,
 * handed on and receipted (each receipt signed and verified; the recipient signs once for the
 * messages it answers together, docs/wire.md), against the same libp2p stream carrying the
 * same bytes unsealed with a plain acknowledgement per message, in the same run. Both use one
 * stream with many messages in flight, both nodes in this process.
 * Then: RSS of an idle node in its own process, and after it holds 10,000 messages for an
 * offline peer.
 * Last line: `node: ratio <x> (target >= 0.5)`.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { generateIdentity } from '../src/crypto/identity.ts'
import { createLogger } from '../src/log/logger.ts'
import { noNodeMetrics } from '../src/node/metrics.ts'
import { type MainframeNode, startNode } from '../src/node/node.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import { until } from '../test/helpers/bridge.ts'
import { startNodeProcess } from '../test/helpers/node-process.ts'

const N = Number(process.env.BENCH_MESSAGES ?? 3000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const IN_FLIGHT = 64
const HELD = Number(process.env.BENCH_HELD ?? 10_000)
const log = createLogger({ level: 'silent' })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
/** Resident set of another process, from /proc. */
const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024

type BenchNode = MainframeNode & { got: { n: number } }

async function node(bootstrap: string[] = []): Promise<BenchNode> {
  const store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  const n = await startNode(
    generateIdentity(),
    {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      maxConnections: 50,
      privateAddresses: true,
      maxMessageBytes: 16 << 20,
      timeoutMs: 30_000,
      hold: {
        replicas: 3,
        ttlSeconds: 3600,
        maxPerSender: HELD * 2,
        maxBytesPerSender: 1 << 30,
        fetchIntervalMs: 3_600_000,
      },
    },
    { dedupe: store.dedupe, held: store.held, log, metrics: noNodeMetrics },
  )
  const got = { n: 0 }
  n.onDirect(async () => {
    got.n++
  })
  return Object.assign(n, { got })
}

/** `count` tasks, at most IN_FLIGHT at once; messages/s. */
async function pump(count: number, one: (i: number) => Promise<void>): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await one(next++)
    }),
  )
  return count / ((performance.now() - start) / 1000)
}

/** Raw: one stream, 1 KiB frames, a 32-byte acknowledgement for each, matched in order. */
async function raw(a: MainframeNode, b: MainframeNode): Promise<number> {
  const protocol = '/bench/raw/1.0.0'
  await b.host.handle(protocol, async (stream) => {
    const lp = lpStream(stream)
    try {
      for (;;) {
        const frame = (await lp.read()).subarray()
        await lp.write(frame.subarray(0, 32))
      }
    } catch {
      stream.abort(new Error('done'))
    }
  })
  const stream = await a.host.dialProtocol(peerIdFromString(b.identity.peerId), protocol)
  const lp = lpStream(stream)
  const waiting: (() => void)[] = []
  void (async () => {
    try {
      for (;;) {
        await lp.read()
        waiting.shift()?.()
      }
    } catch {}
  })()
  let writing = Promise.resolve()
  const payload = randomBytes(1024)
  const rate = await pump(N, () => {
    const acked = new Promise<void>((resolve) => waiting.push(resolve))
    writing = writing.then(() => lp.write(payload))
    return acked
  })
  stream.abort(new Error('done'))
  await b.host.unhandle(protocol)
  return rate
}

/** A payload the node hands to its direct handler: byte 0 says which (0x02 would go to groups). */
function bridged(size: number): Uint8Array {
  const payload = randomBytes(size)
  payload[0] = 0x01
  return payload
}

async function sealed(a: BenchNode, b: BenchNode): Promise<number> {
  const payload = bridged(1024)
  const rate = await pump(N, async () => {
    await a.send(b.identity.peerId, payload)
  })
  if (b.got.n < N) throw new Error(`only ${b.got.n} of ${N} handed on`)
  b.got.n = 0
  return rate
}

console.log(
  `node: node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}; ${N} × 1 KiB × ${ROUNDS} rounds, ${IN_FLIGHT} in flight, medians`,
)
const a = await node()
const b = await node([a.addresses()[0] as string])
// A send to a peer the node has no address of and no connection to fails at once (it would
// be retried): wait for B's bootstrap connection first.
await until(
  async () => (a.peers().some((p) => p.peerId === b.identity.peerId) ? true : undefined),
  10_000,
  'B connected to A',
)
await a.send(b.identity.peerId, bridged(16)) // warm up
b.got.n = 0
const raws: number[] = []
const ours: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  raws.push(await raw(a, b))
  ours.push(await sealed(a, b))
  console.log(
    `round ${r + 1}: raw stream ${raws[r]?.toFixed(0)} msg/s, sealed + receipted ${ours[r]?.toFixed(0)} msg/s`,
  )
}

// RSS of one node in its own process: idle, then holding HELD messages for a peer that is not there.
const holder = await startNodeProcess({ holdMaxPerSender: HELD * 2 })
await new Promise((r) => setTimeout(r, 2000))
const idleRss = rssOf(holder.pid)
const sender = await node([holder.address])
await until(async () => (sender.peers().length ? true : undefined), 10_000, 'connected to the holder')
const absent = generateIdentity().peerId
const t = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < HELD) {
      next++
      await sender.sendOrHold(absent, randomBytes(1024), { mid: randomBytes(32) })
    }
  }),
)
const heldSeconds = (performance.now() - t) / 1000
const held = await holder.call<{ packets: number; bytes: number }>('heldStats')
const heldRss = rssOf(holder.pid)
await holder.stop()
console.log(`idle: one node in its own process, RSS ${mib(idleRss)}`)
console.log(
  `held: ${held.packets} messages (${mib(held.bytes)}) held for an offline peer in ${heldSeconds.toFixed(1)} s (${(HELD / heldSeconds).toFixed(0)}/s); the holder's RSS ${mib(heldRss)} (${mib(heldRss - idleRss)} above idle)`,
)
console.log(
  `raw stream: ${median(raws).toFixed(0)} msg/s; sealed, handed on, receipted: ${median(ours).toFixed(0)} msg/s`,
)
console.log(`node: ratio ${median(ours.map((o, i) => o / (raws[i] as number))).toFixed(2)} (target >= 0.5)`)
process.exit(0)
