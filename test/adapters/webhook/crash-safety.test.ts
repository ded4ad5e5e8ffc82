import { createServer } from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { messageId } from '../../../src/core/ids.ts'
import { feedLink, makeDataDir, testConfig, until } from '../../helpers/bridge.ts'
import { type BridgeProcess, startCli } from '../../helpers/cli.ts'
import { startRedis, type TestRedis } from '../../helpers/redis.ts'
import { startReceiver } from '../../helpers/webhook-receiver.ts'

/**
 * Crash safety, both queue drivers: a bridge child process takes 5,000 messages for a webhook
 * receiver and is SIGKILLed three times at random moments, then restarted. Every message
 * must arrive, none twice in the receiver's deduped view; wire duplicates are reported.
 */
const MESSAGES = 5000
const KILLS = 3
const SECRET = 'crash-test-secret-0123456789abcdef'
let redis: TestRedis | undefined

afterAll(async () => {
  await redis?.stop()
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(['sqlite', 'bullmq'] as const)('crash safety on the %s queue', (driver) => {
  test(`${MESSAGES} messages, ${KILLS} SIGKILLs: all delivered, none twice after dedupe`, {
    timeout: 240_000,
  }, async () => {
    const receiver = await startReceiver(SECRET)
    if (driver === 'bullmq') redis ??= await startRedis()
    const port = await freePort()
    const queue =
      driver === 'bullmq' ? { driver, redis: { url: redis?.url, prefix: `crash${Date.now()}` } } : { driver }
    const { configPath, token } = await makeDataDir(
      testConfig({
        api: { listen: `127.0.0.1:${port}` },
        log: { level: 'warn' },
        queue,
        relay: { deliver_concurrency: 32 },
      }),
    )
    const base = `http://127.0.0.1:${port}`
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    let bridge: BridgeProcess = await startCli(['--config', configPath])
    try {
      const link = await fetch(`${base}/v1/links`, {
        method: 'POST',
        headers,
        body: JSON.stringify(feedLink(receiver.url, SECRET)),
      })
      expect(link.status).toBe(201)

      // The sender retries each message until the bridge acknowledges it (202 = durable),
      // as a homeserver or any at-least-once client would while the bridge is down.
      let next = 0
      let retries = 0
      const sendOne = async (i: number) => {
        const body = JSON.stringify({
          conversation: { network: 'webhook', id: 'feed' },
          body: { text: `message ${i}` },
          idempotencyKey: `k${i}`,
        })
        for (;;) {
          try {
            const res = await fetch(`${base}/v1/messages`, { method: 'POST', headers, body })
            if (res.status === 202) return
            retries++
          } catch {
            retries++
          }
          await sleep(50)
        }
      }
      const sender = Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < MESSAGES) await sendOne(next++)
        }),
      )

      // Kill at random moments while messages flow in and out, restarting at once.
      for (let k = 0; k < KILLS; k++) {
        await sleep(500 + Math.random() * 2500)
        expect(await bridge.stop('SIGKILL')).toBeNull()
        bridge = await startCli(['--config', configPath])
      }
      await sender
      await receiver.waitFor(MESSAGES, 180_000)

      const expected = new Set<string>(Array.from({ length: MESSAGES }, (_, i) => messageId('api', `k${i}`)))
      expect(receiver.received.size).toBe(MESSAGES)
      for (const id of receiver.received.keys()) expect(expected.has(id)).toBe(true)
      expect(receiver.badSignatures()).toBe(0)

      // The receiver sees the last delivery just before the bridge records it.
      const deliveries = await until(
        async () => {
          const q = (await (await fetch(`${base}/v1/queue`, { headers })).json()) as {
            deliveries: { pending: number }
          }
          return q.deliveries.pending === 0 ? q.deliveries : undefined
        },
        15_000,
        'every delivery recorded',
      )
      expect(deliveries).toEqual({ pending: 0, delivered: MESSAGES, dead: 0, refused: 0 })
      console.log(
        `crash safety (${driver}): ${MESSAGES} delivered after ${KILLS} SIGKILLs; wire duplicates ${receiver.duplicates()} (deduped by Idempotency-Key); sender retries ${retries}`,
      )
    } finally {
      await bridge.stop('SIGTERM')
      await receiver.close()
    }
  })
})
