import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeDataDir, testConfig } from '../helpers/bridge.ts'
import { runCli, startCli } from '../helpers/cli.ts'
import { startRedis, type TestRedis } from '../helpers/redis.ts'

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

interface Cluster {
  self: string
  processes: { id: string; role: string; pid: number }[]
  leases: unknown[]
  queues: { route: { waiting: number } } | null
}

describe('roles and the cluster view (real processes)', () => {
  test('GET /v1/cluster lists this process with its role and the queue depths', async () => {
    const { configPath, token } = await makeDataDir(testConfig())
    const bridge = await startCli(['--config', configPath])
    try {
      const res = await fetch(`${bridge.url}/v1/cluster`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(200)
      const cluster = (await res.json()) as Cluster
      expect(cluster.processes).toEqual([
        expect.objectContaining({ id: cluster.self, role: 'all', pid: bridge.child.pid }),
      ])
      expect(cluster.queues?.route.waiting).toBe(0)
    } finally {
      expect(await bridge.stop()).toBe(0)
    }
  })

  test('--role node runs the node and only the mainframe side of the pipeline: no webhook adapter', async () => {
    const { configPath, token } = await makeDataDir(testConfig())
    const bridge = await startCli(['--config', configPath, '--role', 'node'])
    try {
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
      const cluster = (await (await fetch(`${bridge.url}/v1/cluster`, { headers })).json()) as Cluster
      expect(cluster.processes[0]?.role).toBe('node')
      expect(cluster.queues?.route.waiting).toBe(0)
      const peers = (await (await fetch(`${bridge.url}/v1/node/peers`, { headers })).json()) as {
        running: boolean
      }
      expect(peers.running).toBe(true)
      const ready = (await (await fetch(`${bridge.url}/readyz`)).json()) as {
        checks: Record<string, { ok: boolean }>
      }
      expect(ready.checks.node?.ok).toBe(true)
      const node = (await (await fetch(`${bridge.url}/v1/node`, { headers })).json()) as {
        addresses: string[]
      }
      expect(node.addresses[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
      const hook = await fetch(`${bridge.url}/adapters/webhook/some-link`, {
        method: 'POST',
        headers,
        body: '{}',
      })
      expect(hook.status).toBe(404)
    } finally {
      expect(await bridge.stop()).toBe(0)
    }
    const bad = await runCli(['start', '--config', configPath, '--role', 'boss'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/argument 'boss' is invalid. Allowed choices are all, worker, node/)
  })

  test('queue bullmq + store sqlite: a second process on the same Redis is refused (exit 2); a restart after a crash is not', async () => {
    const queue = { driver: 'bullmq', redis: { url: redis.url, prefix: 'single' } }
    const a = await makeDataDir(testConfig({ queue }))
    const b = await makeDataDir(testConfig({ queue }))
    let first = await startCli(['--config', a.configPath])
    try {
      const second = await runCli(['start', '--config', b.configPath])
      expect(second.code).toBe(2)
      const lines = second.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        /^error: another bridge process \(\S+\) already uses this Redis with an unshared SQLite store \(several processes need a shared store: set store.driver: postgres/,
      )
      expect(await first.stop('SIGKILL')).toBeNull()
      first = await startCli(['--config', a.configPath])
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
    } finally {
      expect(await first.stop()).toBe(0)
    }
    // After a clean stop the claim is gone: another process may use the prefix.
    const other = await startCli(['--config', b.configPath])
    expect(await other.stop()).toBe(0)
  })
})
