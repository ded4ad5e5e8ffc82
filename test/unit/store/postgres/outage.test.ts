import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { BridgeError } from '../../../../src/core/errors.ts'
import { openPostgresStore } from '../../../../src/store/postgres/index.ts'
import { startPostgres, type TestPostgres } from '../../../helpers/postgres.ts'
import { latch, rejectsWith, unique } from '../conformance/support.ts'

const SECRET = 'hunter2-not-for-logs'

let server: TestPostgres
let url = ''
beforeAll(async () => {
  server = await startPostgres()
  // Trust auth never asks for the password: it is in the URL only to check that no error shows it.
  url = (await server.createDatabase()).replace('postgres@', `postgres:${SECRET}@`)
})
afterAll(async () => {
  await server?.stop()
})

/** Everything an error could show or log: message, hints, JSON body, cause. */
function everything(err: BridgeError): string {
  const cause = err.cause instanceof Error ? `${err.cause.message} ${err.cause.stack}` : String(err.cause)
  return `${err.message} ${err.stack} ${err.hint} ${JSON.stringify(err.toJSON())} ${cause}`
}

/** A port where nothing listens. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return typeof address === 'object' && address !== null ? address.port : 1
}

describe('postgres outages', () => {
  test('a server restart: calls during it fail retryably, the same handle works after it', async () => {
    const store = await openPostgresStore({ url, connectTimeoutMs: 2000 })
    try {
      await store.migrate()
      const key = unique('outage')
      await store.cursors.put(key, 'before')
      await Promise.all([store.cursors.get(key), store.ping(), store.ping()]) // several idle connections

      // A transaction open while the server goes down is rolled back and says so.
      const inTx = unique('in-tx')
      const opened = latch()
      const hold = latch()
      const tx = store.transaction(async (repos) => {
        await repos.cursors.put(inTx, 'uncommitted')
        opened.release()
        await hold.promise
        await repos.cursors.get(inTx)
      })
      await opened.promise
      await server.halt()
      hold.release()
      const txError = await tx.then(
        () => undefined,
        (err: unknown) => err as BridgeError,
      )
      expect(txError?.retryable).toBe(true)
      expect(['STORE_UNAVAILABLE', 'STORE_TX_ABORTED']).toContain(txError?.code)

      for (const call of [
        store.cursors.get(key),
        store.cursors.put(key, 'during'),
        store.ping(),
        store.transaction(async (repos) => repos.cursors.get(key)),
        store.schemaVersion(),
      ]) {
        const err = await rejectsWith(call, 'STORE_UNAVAILABLE')
        expect(err.retryable).toBe(true)
        expect(err.status).toBe(503)
        expect(err.shortMessage).toContain(`127.0.0.1:${server.port}`)
        expect(everything(err)).not.toContain(SECRET)
      }

      await server.resume()
      await store.ping()
      expect(await store.cursors.get(key)).toMatchObject({ value: 'before', version: 1 })
      expect(await store.cursors.get(inTx)).toBeUndefined()
      expect(await store.cursors.put(key, 'after', 1)).toBe(2)
      expect(await store.transaction(async (repos) => repos.cursors.get(key))).toMatchObject({
        value: 'after',
      })

      // restart() in one go, with idle connections in the pool: still no reopen needed.
      await server.restart()
      expect(await store.cursors.get(key)).toMatchObject({ value: 'after', version: 2 })
    } finally {
      await store.close()
    }
  })

  test('an unreachable server: a clear retryable error, without the password', async () => {
    const port = await closedPort()
    const started = Date.now()
    const err = await rejectsWith(
      openPostgresStore({ url: `postgresql://bridge:${SECRET}@127.0.0.1:${port}/bridge` }),
      'STORE_UNAVAILABLE',
    )
    expect(Date.now() - started).toBeLessThan(3000)
    expect(err.retryable).toBe(true)
    expect(err.shortMessage).toBe(`the store at postgresql://127.0.0.1:${port}/bridge is unreachable`)
    expect(err.message).toMatch(/ECONNREFUSED/)
    expect(everything(err)).not.toContain(SECRET)
  })

  test('a server that accepts but never answers: STORE_UNAVAILABLE after the connect timeout', async () => {
    const sockets: Socket[] = []
    const silent: Server = createServer((socket) => {
      sockets.push(socket)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const address = silent.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    try {
      const started = Date.now()
      const err = await rejectsWith(
        openPostgresStore({ url: `postgres://u:${SECRET}@127.0.0.1:${port}/db`, connectTimeoutMs: 300 }),
        'STORE_UNAVAILABLE',
      )
      expect(Date.now() - started).toBeLessThan(3000)
      expect(everything(err)).not.toContain(SECRET)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})
