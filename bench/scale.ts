/**
 * bench:scale — pipeline messages/s with 3 worker processes as a ratio to 1, on the same
 * Redis (BullMQ) and PostgreSQL (store), in the same run; per-process CPU shows the limit.
 * Messages enter through the processes' APIs and go to a minimal local webhook receiver, spread
 * over CONVERSATIONS bridged conversations as a bridge's traffic is (deliveries to one target
 * keep one conversation's order, so a single conversation is one sequence whatever the
 * number of processes).
 * Last line: `scale: ratio <x> (target >= 1.5)`.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { feedLink, makeDataDir, testConfig } from '../test/helpers/bridge.ts'
import { type BridgeProcess, startCli } from '../test/helpers/cli.ts'
import { startPostgres } from '../test/helpers/postgres.ts'
import { startRedis } from '../test/helpers/redis.ts'
import { startReceiver } from '../test/helpers/webhook-receiver.ts'

const N = Number(process.env.BENCH_MESSAGES ?? 4000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 16)
const SECRET = 'bench-scale-secret-0123456789abcdef'
const TICKS = 100 // USER_HZ on Linux
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / TICKS
}

async function run(
  workers: number,
  round: number,
  redisUrl: string,
  newDatabase: () => Promise<string>,
): Promise<{ rate: number; cpu: number[] }> {
  const prefix = `scale${workers}r${round}`
  const config = testConfig({
    log: { level: 'warn' },
    store: { driver: 'postgres', postgres: { url: await newDatabase() } },
    queue: { driver: 'bullmq', redis: { url: redisUrl, prefix } },
    relay: { attempts: 30, backoff_ms: 100, max_backoff_ms: 1000 },
  })
  const receiver = await startReceiver(SECRET)
  const dirs = await Promise.all(Array.from({ length: workers }, () => makeDataDir(config)))
  const bridges: BridgeProcess[] = []
  for (const d of dirs) bridges.push(await startCli(['--config', d.configPath]))
  const headers = dirs.map((d) => ({
    authorization: `Bearer ${d.token}`,
    'content-type': 'application/json',
  }))
  try {
    for (let c = 0; c < CONVERSATIONS; c++)
      await fetch(`${bridges[0]?.url}/v1/links`, {
        method: 'POST',
        headers: headers[0],
        body: JSON.stringify(feedLink(receiver.url, SECRET, {}, `${prefix}-c${c}`)),
      })
    const cpuBefore = bridges.map((b) => cpuSeconds(b.child.pid as number))
    const start = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) {
          const i = next++
          const b = i % bridges.length
          const body = JSON.stringify({
            conversation: { network: 'webhook', id: `${prefix}-c${i % CONVERSATIONS}` },
            body: { text: `m${i}` },
            idempotencyKey: `${prefix}-${i}`,
          })
          for (;;) {
            const res = await fetch(`${bridges[b]?.url}/v1/messages`, {
              method: 'POST',
              headers: headers[b],
              body,
            }).catch(() => undefined)
            if (res?.status === 202) break
          }
        }
      }),
    )
    await receiver.waitFor(N, 600_000)
    const seconds = (performance.now() - start) / 1000
    const cpu = bridges.map((b, i) => (cpuSeconds(b.child.pid as number) - (cpuBefore[i] ?? 0)) / seconds)
    return { rate: N / seconds, cpu }
  } finally {
    await Promise.all(bridges.map((b) => b.stop()))
    await receiver.close()
  }
}

const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
try {
  console.log(
    `scale: node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}; ${N} messages in ${CONVERSATIONS} conversations × ${ROUNDS} rounds, BullMQ + PostgreSQL, medians`,
  )
  const ratios: number[] = []
  const one: number[] = []
  const three: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const a = await run(1, r, redis.url, () => postgres.createDatabase())
    const b = await run(3, r, redis.url, () => postgres.createDatabase())
    one.push(a.rate)
    three.push(b.rate)
    ratios.push(b.rate / a.rate)
    const pct = (xs: number[]) => xs.map((x) => `${(x * 100).toFixed(0)}%`).join(' ')
    console.log(
      `round ${r + 1}: 1 process ${a.rate.toFixed(0)} msg/s (CPU ${pct(a.cpu)}), 3 processes ${b.rate.toFixed(0)} msg/s (CPU ${pct(b.cpu)})`,
    )
  }
  console.log(
    `1 worker process: ${median(one).toFixed(0)} msg/s; 3 worker processes: ${median(three).toFixed(0)} msg/s`,
  )
  console.log(`scale: ratio ${median(ratios).toFixed(2)} (target >= 1.5)`)
} finally {
  await Promise.all([redis.stop(), postgres.stop()])
}
process.exit(0)
