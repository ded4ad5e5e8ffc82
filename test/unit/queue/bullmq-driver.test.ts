import { createServer } from 'node:net'
import { describe, expect, test } from 'vitest'
import { BridgeError } from '../../../src/core/errors.ts'
import { openBullmqQueue } from '../../../src/queue/bullmq/index.ts'
import { openQueue } from '../../../src/queue/index.ts'

/** What the Redis driver does beyond the port: failing fast and safely when Redis is not there. */
describe('bullmq queue driver', () => {
  test('an unreachable Redis is QUEUE_UNREACHABLE, retryable, its password never shown', async () => {
    const port = await closedPort()
    const t0 = Date.now()
    const err = await openBullmqQueue({ url: `redis://user:hunter2@127.0.0.1:${port}` }).catch(
      (e: unknown) => e,
    )
    expect(Date.now() - t0).toBeLessThan(6000)
    expect(err).toBeInstanceOf(BridgeError)
    const bridge = err as BridgeError
    expect(bridge.code).toBe('QUEUE_UNREACHABLE')
    expect(bridge.retryable).toBe(true)
    expect(bridge.shortMessage).toContain(`127.0.0.1:${port}`)
    expect(bridge.message).not.toContain('hunter2')
    expect(bridge.hint).toMatch(/queue.redis.url/)
  })

  test('a server that never answers fails within the connect timeout instead of hanging', async () => {
    const server = createServer(() => {}) // accepts, never replies
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const t0 = Date.now()
    try {
      const err = await openQueue({ driver: 'bullmq', redis: { url: `redis://127.0.0.1:${port}` } }).catch(
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'QUEUE_UNREACHABLE' })
      expect(Date.now() - t0).toBeLessThan(8000)
    } finally {
      server.close()
    }
  }, 15_000)
})

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
