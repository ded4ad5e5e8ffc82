/**
 * bench:matrix — Mainframe → Matrix latency: from POST /v1/messages until a real syncing
 * matrix-js-sdk client (alice, /sync loop) sees the ghost's event, against the same client
 * seeing a message another real client (bob) sends directly through Synapse, in the same run:
 * samples taken one at a time, the paths interleaved so they share the machine's noise.
 * Then Matrix → Mainframe (alice sends; a webhook receiver stands in for the node's delivery),
 * and messages/s for a burst into one room, through the bridge and directly.
 * Everything is real and local: Synapse (scripts/install-synapse.sh), the bridge as its own
 * process with the Matrix adapter, a webhook receiver (see bench/matrix-rig.ts).
 * Last line: `matrix: ratio <bridge p50 / direct p50> (target ≤ 2)`.
 */
import { availableParallelism, loadavg } from 'node:os'
import { matrixMessageId } from '../adapters/matrix/index.ts'
import { type Rig, startRig, TO_MATRIX } from './matrix-rig.ts'

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5)
const BURST = Number(process.env.BENCH_BURST ?? 1000)
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32)
/** Idle time between samples, so one sample's trailing work (settle, echo transactions) is not the next one's. */
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 10)
const SENDER = 'mailto:carol@example.org'
const RUN = Date.now().toString(36)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Nearest-rank percentile. */
const pct = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number
}
const median = (xs: readonly number[]) => pct(xs, 0.5)
const ms = (x: number) => `${x.toFixed(1)} ms`
const p50p99 = (xs: readonly number[]) => `p50 ${ms(pct(xs, 0.5))}, p99 ${ms(pct(xs, 0.99))}`
/** performance.now() as wall-clock ms, to compare with the bridge's Date.now() stamps. */
const wall = (t: number) => performance.timeOrigin + t

interface Status {
  receivedAt: number
  targets: { state: string; deliveredAt: number | null }[]
  traces: { stage: string; startedAt: number; durationMs: number; outcome: string }[]
}

async function status(rig: Rig, id: string): Promise<Status> {
  const res = await rig.api(`/v1/messages/${id}`)
  if (!res.ok) throw new Error(`GET /v1/messages/${id}: ${res.status} ${await res.text()}`)
  return (await res.json()) as Status
}

/** The delivery's timeline inside the bridge: deliver job start, adapter done, settled. */
function deliverTimes(s: Status): { start: number; delivered: number; settled: number } {
  const trace = s.traces.find((t) => t.stage === 'deliver' && t.outcome === 'ok')
  const delivered = s.targets.find((t) => t.state === 'delivered')?.deliveredAt
  if (!trace || delivered == null) throw new Error(`not delivered: ${JSON.stringify(s)}`)
  return { start: trace.startedAt, delivered, settled: trace.startedAt + trace.durationMs }
}

/** Bob sends straight to Synapse; alice's sync sees it. */
async function direct(rig: Rig, tag: string) {
  const body = `direct ${RUN} ${tag}`
  const seen = rig.seen(body)
  const t0 = performance.now()
  await rig.bob.sendTextMessage(rig.roomId, body)
  const acked = performance.now()
  const s = await seen
  return { total: s.at - t0, ack: acked - t0, afterAck: s.at - acked }
}

/** The API takes a message from the webhook side; the ghost says it in the room; alice's sync sees it. */
async function bridged(rig: Rig, tag: string, sender = SENDER) {
  const body = `bridged ${RUN} ${tag}`
  const seen = rig.seen(body)
  const t0 = performance.now()
  const res = await rig.api('/v1/messages', {
    method: 'POST',
    body: JSON.stringify({
      conversation: { network: 'webhook', id: TO_MATRIX },
      sender,
      body: { text: body },
    }),
  })
  const acked = performance.now()
  if (res.status !== 202) throw new Error(`POST /v1/messages: ${res.status} ${await res.text()}`)
  const { id } = (await res.json()) as { id: string }
  const s = await seen
  if (!s.sender.startsWith('@_mainframe_')) throw new Error(`the event came from ${s.sender}, not a ghost`)
  return { total: s.at - t0, ack: acked - t0, id, sentWall: wall(t0), seenWall: wall(s.at) }
}

/** Alice sends in the room; the bridge gets the AS transaction and delivers to the receiver. */
async function inbound(rig: Rig, tag: string) {
  const text = `inbound ${RUN} ${tag}`
  const received = rig.received(text)
  const t0 = performance.now()
  const { event_id } = await rig.alice.sendTextMessage(rig.roomId, text)
  const acked = performance.now()
  const at = await received
  return {
    total: at - t0,
    ack: acked - t0,
    id: matrixMessageId(event_id),
    sentWall: wall(t0),
    gotWall: wall(at),
  }
}

/** `count` sends, IN_FLIGHT at a time; resolves with seconds until alice's client saw them all. */
async function burst(
  rig: Rig,
  label: string,
  send: (body: string) => Promise<void>,
): Promise<{ seconds: number; sentSeconds: number; outOfOrder: number }> {
  const prefix = `burst ${label} ${RUN} `
  let count = 0
  let highest = -1
  let outOfOrder = 0
  let done = () => {}
  const all = new Promise<void>((resolve) => {
    done = resolve
  })
  rig.onSeen((body) => {
    if (!body.startsWith(prefix)) return
    const i = Number(body.slice(prefix.length))
    if (i < highest) outOfOrder++
    highest = Math.max(highest, i)
    if (++count === BURST) done()
  })
  const t0 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < BURST) await send(`${prefix}${next++}`)
    }),
  )
  const sent = performance.now()
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    all,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`burst ${label}: alice saw ${count} of ${BURST} after 300 s`)),
        300_000,
      )
    }),
  ])
  clearTimeout(timer)
  const seconds = (performance.now() - t0) / 1000
  rig.onSeen(undefined)
  return { seconds, sentSeconds: (sent - t0) / 1000, outOfOrder }
}

async function bench(rig: Rig): Promise<void> {
  console.log(
    `matrix: node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}; Synapse ${rig.synapse.version} (SQLite); ${SAMPLES} samples per path after ${WARMUP} warm-up, one at a time, interleaved; burst ${BURST}, ${IN_FLIGHT} in flight`,
  )
  // The first message from a new sender: ghost registered, named, invited and joined first.
  const cold = await bridged(rig, 'cold')
  const coldTimes = deliverTimes(await status(rig, cold.id))
  console.log(
    `first message from a new sender (ghost registered, named, invited, joined): ${ms(cold.total)} (the adapter's part ${coldTimes.delivered - coldTimes.start} ms)`,
  )

  const paths = ['direct', 'bridged', 'inbound'] as const
  const results = {
    direct: [] as Awaited<ReturnType<typeof direct>>[],
    bridged: [] as Awaited<ReturnType<typeof bridged>>[],
    inbound: [] as Awaited<ReturnType<typeof inbound>>[],
  }
  for (let i = -WARMUP; i < SAMPLES; i++) {
    // Rotate which path goes first, so none always follows the same one.
    for (let k = 0; k < paths.length; k++) {
      const path = paths[(i + WARMUP + k) % paths.length]
      const tag = `${i}`
      if (path === 'direct') {
        const r = await direct(rig, tag)
        if (i >= 0) results.direct.push(r)
      } else if (path === 'bridged') {
        const r = await bridged(rig, tag)
        if (i >= 0) results.bridged.push(r)
      } else {
        const r = await inbound(rig, tag)
        if (i >= 0) results.inbound.push(r)
      }
      await sleep(GAP_MS)
    }
  }

  // Where the time goes, from the bridge's own records (its ms clock, the same machine's).
  const out = { ack: [] as number[], queued: [] as number[], send: [] as number[], settle: [] as number[] }
  const outSeen: number[] = []
  for (const r of results.bridged) {
    const t = deliverTimes(await status(rig, r.id))
    out.ack.push(r.ack)
    out.queued.push(t.start - r.sentWall)
    out.send.push(t.delivered - t.start)
    out.settle.push(t.settled - t.delivered)
    outSeen.push(r.seenWall - t.delivered)
  }
  const inParts = { ack: [] as number[], push: [] as number[], queued: [] as number[], post: [] as number[] }
  for (const r of results.inbound) {
    const s = await status(rig, r.id)
    const t = deliverTimes(s)
    inParts.ack.push(r.ack)
    inParts.push.push(s.receivedAt - r.sentWall)
    inParts.queued.push(t.start - s.receivedAt)
    inParts.post.push(r.gotWall - t.start)
  }

  const d = results.direct.map((r) => r.total)
  const b = results.bridged.map((r) => r.total)
  const n = results.inbound.map((r) => r.total)
  console.log(
    `Mainframe → Matrix, direct (bob sends through Synapse → alice's /sync sees it): ${p50p99(d)}; medians: bob's send acknowledged ${ms(median(results.direct.map((r) => r.ack)))}, then seen ${ms(median(results.direct.map((r) => r.afterAck)))}`,
  )
  console.log(
    `Mainframe → Matrix, bridged (POST /v1/messages → the ghost's event seen by alice's /sync): ${p50p99(b)}`,
  )
  console.log(
    `  bridged, medians: API 202 ${ms(median(out.ack))}; POST → deliver job starts ${ms(median(out.queued))}; ghost's send to Synapse ${ms(median(out.send))}; settle ${ms(median(out.settle))}; Synapse answered → alice sees ${ms(median(outSeen))}`,
  )
  console.log(
    `Matrix → Mainframe (alice sends → the bridge's delivery reaches a webhook receiver, standing in for node delivery): ${p50p99(n)}`,
  )
  console.log(
    `  medians: alice's send acknowledged ${ms(median(inParts.ack))}; alice's send → ingested by the bridge (Synapse's AS transaction) ${ms(median(inParts.push))}; ingest → deliver job starts ${ms(median(inParts.queued))}; deliver job → receiver has it ${ms(median(inParts.post))}`,
  )

  // Bursts into the room: bob directly (raw PUTs, the sdk would send one at a time), then the bridge.
  let txn = 0
  const directBurst = await burst(rig, 'direct', async (body) => {
    const url = `${rig.synapse.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(rig.roomId)}/send/m.room.message/b${RUN}.${txn++}`
    const res = await fetch(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${rig.bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'm.text', body }),
    })
    if (!res.ok) throw new Error(`PUT send: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
  })
  const bridgeBurst = await burst(rig, 'bridged', async (body) => {
    const res = await rig.api('/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: TO_MATRIX },
        sender: SENDER,
        body: { text: body },
      }),
    })
    if (res.status !== 202) throw new Error(`POST /v1/messages: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
  })
  console.log(
    `burst direct: ${BURST} sends by bob (${IN_FLIGHT} in flight) → all seen by alice: ${(BURST / directBurst.seconds).toFixed(0)} msg/s (${directBurst.seconds.toFixed(2)} s)`,
  )
  console.log(
    `burst bridged: ${BURST} POST /v1/messages (${IN_FLIGHT} in flight) → all seen by alice: ${(BURST / bridgeBurst.seconds).toFixed(0)} msg/s (${bridgeBurst.seconds.toFixed(2)} s; the API accepted all in ${bridgeBurst.sentSeconds.toFixed(2)} s, ${(BURST / bridgeBurst.sentSeconds).toFixed(0)} msg/s); ${bridgeBurst.outOfOrder} seen out of send order (direct: ${directBurst.outOfOrder}); ratio to direct ${(directBurst.seconds / bridgeBurst.seconds).toFixed(2)}`,
  )
  console.log(`p99 ratio (bridged / direct): ${(pct(b, 0.99) / pct(d, 0.99)).toFixed(2)}`)
  console.log(`matrix: ratio ${(median(b) / median(d)).toFixed(2)} (target ≤ 2)`)
}

let stopRig: (() => Promise<void>) | undefined
const interrupted = (signal: NodeJS.Signals) => {
  console.error(`${signal}: stopping Synapse and the bridge`)
  void (stopRig?.() ?? Promise.resolve()).finally(() => process.exit(130))
}
process.once('SIGINT', interrupted)
process.once('SIGTERM', interrupted)

let code = 0
try {
  const rig = await startRig((stop) => {
    stopRig = stop
  })
  await bench(rig)
} catch (err) {
  console.error('bench:matrix failed:', err)
  code = 1
} finally {
  await stopRig?.()
}
process.exit(code)
