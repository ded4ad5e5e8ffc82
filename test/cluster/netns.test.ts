import { afterAll, beforeAll, expect, test } from 'vitest'
import { feedLink, makeDataDir, testConfig } from '../helpers/bridge.ts'
import { type BridgeProcess, startCli } from '../helpers/cli.ts'
import { makeTestHosts, TEST_HOSTS_NETWORK, type TestHost } from '../helpers/netns.ts'
import { startPostgres } from '../helpers/postgres.ts'
import { startRedis, type TestRedis } from '../helpers/redis.ts'
import { startReceiver } from '../helpers/webhook-receiver.ts'

/**
 * Two bridge processes on two test hosts (network namespaces with their own addresses),
 * reaching Redis and PostgreSQL in the root namespace across veth pairs, as two machines
 * would across a network.
 */
const SECRET = 'netns-secret-0123456789abcdef'
let hosts: TestHost[]
let removeHosts: () => Promise<void>
let redis: TestRedis
let postgres: Awaited<ReturnType<typeof startPostgres>>

beforeAll(async () => {
  ;({ hosts, remove: removeHosts } = await makeTestHosts(2))
  const gateways = hosts.map((h) => h.gateway)
  ;[redis, postgres] = await Promise.all([
    startRedis(gateways),
    startPostgres({ listen: gateways, trustNetworks: [TEST_HOSTS_NETWORK] }),
  ])
})
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()])
  await removeHosts?.()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('two processes on two test hosts share the work over Redis and PostgreSQL across the veth pairs', {
  timeout: 120_000,
}, async () => {
  const gateway = hosts[0]!.gateway
  const receiver = await startReceiver(SECRET, gateway)
  const database = (await postgres.createDatabase()).replace('127.0.0.1', gateway)
  const bridges: BridgeProcess[] = []
  const headers: Record<string, string>[] = []
  try {
    for (const host of hosts) {
      const { configPath, token } = await makeDataDir(
        testConfig({
          api: { listen: `${host.ip}:18080` },
          node: { listen: [`/ip4/${host.ip}/tcp/0`] },
          log: { level: 'warn' },
          store: { driver: 'postgres', postgres: { url: database } },
          queue: {
            driver: 'bullmq',
            redis: { url: redis.url.replace('127.0.0.1', gateway), prefix: 'netns' },
          },
        }),
      )
      bridges.push(await startCli(['--config', configPath], {}, 30_000, host.exec))
      headers.push({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })
    }
    expect(bridges.map((b) => b.url)).toEqual(hosts.map((h) => `http://${h.ip}:18080`))
    const link = await fetch(`${bridges[0]!.url}/v1/links`, {
      method: 'POST',
      headers: headers[0],
      body: JSON.stringify(feedLink(receiver.url, SECRET)),
    })
    expect(link.status).toBe(201)
    for (let i = 0; i < 400; i++) {
      const b = i % 2
      const res = await fetch(`${bridges[b]!.url}/v1/messages`, {
        method: 'POST',
        headers: headers[b],
        body: JSON.stringify({
          conversation: { network: 'webhook', id: 'feed' },
          body: { text: `m${i}` },
          idempotencyKey: `n${i}`,
        }),
      })
      expect(res.status).toBe(202)
    }
    await receiver.waitFor(400, 60_000)
    const cluster = (await (
      await fetch(`${bridges[1]!.url}/v1/cluster`, { headers: headers[1] })
    ).json()) as { processes: { id: string }[] }
    expect(cluster.processes).toHaveLength(2)
    const done = async (i: number) => {
      const text = await (await fetch(`${bridges[i]!.url}/metrics`, { headers: headers[i] })).text()
      return Number(/mfb_relay_deliveries_total\{network="webhook",outcome="ok"\} (\d+)/.exec(text)?.[1] ?? 0)
    }
    let counts: number[] = []
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
      counts = await Promise.all([done(0), done(1)])
      if (counts[0]! + counts[1]! >= 400) break
    }
    expect(counts[0]).toBeGreaterThan(0)
    expect(counts[1]).toBeGreaterThan(0)
    expect(receiver.received.size).toBe(400)
  } finally {
    await Promise.all(bridges.map((b) => b.stop()))
    await receiver.close()
  }
})
