import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { feedLink, makeDataDir, testConfig } from '../helpers/bridge.ts'
import { type BridgeProcess, startCli } from '../helpers/cli.ts'
import { startPostgres } from '../helpers/postgres.ts'
import { startRedis, type TestRedis } from '../helpers/redis.ts'
import { startReceiver } from '../helpers/webhook-receiver.ts'

/**
 * Scale-out with real processes: three bridges share one Redis (BullMQ) and one PostgreSQL
 * (store). Messages enter through all three APIs; each is delivered once after the
 * receiver's dedupe, and every process does part of the work.
 */
const SECRET = 'scale-out-secret-0123456789abcdef'
let redis: TestRedis
let postgres: Awaited<ReturnType<typeof startPostgres>>

beforeAll(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
})
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()])
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function cluster(prefix: string, size: number) {
  const database = await postgres.createDatabase()
  const config = testConfig({
    log: { level: 'warn' },
    store: { driver: 'postgres', postgres: { url: database } },
    queue: { driver: 'bullmq', redis: { url: redis.url, prefix } },
    relay: { attempts: 30, backoff_ms: 100, max_backoff_ms: 1000 },
  })
  const dirs = await Promise.all(Array.from({ length: size }, () => makeDataDir(config)))
  const bridges: BridgeProcess[] = []
  for (const d of dirs) bridges.push(await startCli(['--config', d.configPath]))
  return {
    dirs,
    bridges,
    headers: dirs.map((d) => ({ authorization: `Bearer ${d.token}`, 'content-type': 'application/json' })),
  }
}

/** Sends `count` messages round-robin through the bridges, retrying each until acknowledged. */
async function sendAll(
  bridges: BridgeProcess[],
  headers: Record<string, string>[],
  prefix: string,
  count: number,
): Promise<number> {
  let next = 0
  let retries = 0
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < count) {
        const i = next++
        const body = JSON.stringify({
          conversation: { network: 'webhook', id: prefix },
          body: { text: `m${i}` },
          idempotencyKey: `${prefix}-${i}`,
        })
        for (let k = i; ; k++) {
          const b = k % bridges.length
          try {
            const res = await fetch(`${bridges[b]!.url}/v1/messages`, {
              method: 'POST',
              headers: headers[b],
              body,
            })
            if (res.status === 202) break
          } catch {}
          retries++
          await sleep(100)
        }
      }
    }),
  )
  return retries
}

async function deliveredBy(bridge: BridgeProcess, headers: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${bridge.url}/metrics`, { headers })).text()
  const m = /mfb_relay_deliveries_total\{network="webhook",outcome="ok"\} (\d+)/.exec(text)
  return Number(m?.[1] ?? 0)
}

describe('three bridge processes on one Redis and one PostgreSQL', () => {
  test('10,000 webhook messages: each delivered once after dedupe, the work spread over all three', {
    timeout: 300_000,
  }, async () => {
    const receiver = await startReceiver(SECRET)
    const { bridges, headers } = await cluster('spread', 3)
    try {
      const link = await fetch(`${bridges[0]!.url}/v1/links`, {
        method: 'POST',
        headers: headers[0],
        body: JSON.stringify(feedLink(receiver.url, SECRET, {}, 'spread')),
      })
      expect(link.status).toBe(201)
      const started = Date.now()
      await sendAll(bridges, headers, 'spread', 10_000)
      await receiver.waitFor(10_000, 240_000)
      const seconds = (Date.now() - started) / 1000
      expect(receiver.received.size).toBe(10_000)
      // The receiver sees a delivery just before the bridge records it: wait for the records.
      let perProcess: number[] = []
      for (const until = Date.now() + 15_000; Date.now() < until; await sleep(100)) {
        perProcess = await Promise.all(bridges.map((b, i) => deliveredBy(b, headers[i]!)))
        if (perProcess.reduce((a, b) => a + b, 0) >= 10_000) break
      }
      for (const n of perProcess) expect(n).toBeGreaterThan(0)
      expect(perProcess.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000)
      const cluster = (await (
        await fetch(`${bridges[1]!.url}/v1/cluster`, { headers: headers[1] })
      ).json()) as { processes: unknown[] }
      expect(cluster.processes).toHaveLength(3)
      console.log(
        `scale-out: 10,000 delivered in ${seconds.toFixed(1)} s by 3 processes (${perProcess.join(' / ')}); wire duplicates ${receiver.duplicates()}`,
      )
    } finally {
      await Promise.all(bridges.map((b) => b.stop()))
      await receiver.close()
    }
  })

  test('PostgreSQL restarts mid-run: the processes reconnect and nothing is lost', {
    timeout: 240_000,
  }, async () => {
    const receiver = await startReceiver(SECRET)
    const { bridges, headers } = await cluster('restart', 2)
    try {
      const link = await fetch(`${bridges[0]!.url}/v1/links`, {
        method: 'POST',
        headers: headers[0],
        body: JSON.stringify(feedLink(receiver.url, SECRET, {}, 'restart')),
      })
      expect(link.status).toBe(201)
      const sending = sendAll(bridges, headers, 'restart', 2000)
      await sleep(1500)
      await postgres.restart()
      const retries = await sending
      await receiver.waitFor(2000, 120_000)
      expect(receiver.received.size).toBe(2000)
      for (const b of bridges) expect(b.child.exitCode).toBeNull()
      console.log(
        `postgres restart: 2,000 delivered; sender retries during the outage ${retries}; wire duplicates ${receiver.duplicates()}`,
      )
    } finally {
      await Promise.all(bridges.map((b) => b.stop()))
      await receiver.close()
    }
  })
})
