import { afterAll, beforeAll, expect, test } from 'vitest'
import { feedLink, startTestBridge, type TestBridge, testConfig, until } from '../../helpers/bridge.ts'
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.ts'

const SECRET = 'outage-secret-0123456789abcdef'
let bridge: TestBridge
let receiver: Receiver

interface Status {
  targets: { state: string; attempts: number; lastError: { code: string; message: string } | null }[]
  traces: { outcome: string; error: { code: string; message: string } | null }[]
}

beforeAll(async () => {
  receiver = await startReceiver(SECRET)
  bridge = await startTestBridge(
    testConfig({ relay: { attempts: 40, backoff_ms: 200, max_backoff_ms: 2000 } }),
  )
  expect(
    (await bridge.api('/v1/links', { method: 'POST', body: JSON.stringify(feedLink(receiver.url, SECRET)) }))
      .status,
  ).toBe(201)
})
afterAll(async () => {
  await bridge?.stop()
  await receiver?.close()
})

const send = async (text: string) =>
  (
    (await (
      await bridge.api('/v1/messages', {
        method: 'POST',
        body: JSON.stringify({ conversation: { network: 'webhook', id: 'feed' }, body: { text } }),
      })
    ).json()) as { id: string }
  ).id
const status = async (id: string) => (await (await bridge.api(`/v1/messages/${id}`)).json()) as Status

test('the receiver is down for 20 s: messages wait and retry, then all arrive', {
  timeout: 60_000,
}, async () => {
  await receiver.down()
  const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => send(`during outage ${i}`)))
  await new Promise((r) => setTimeout(r, 20_000))
  expect(receiver.received.size).toBe(0)
  const waiting = await status(ids[0] as string)
  expect(waiting.targets[0]?.state).toBe('pending')
  expect(waiting.targets[0]?.attempts).toBeGreaterThan(3)
  expect(waiting.targets[0]?.lastError?.code).toBe('WEBHOOK_UNREACHABLE')
  await receiver.up()
  await receiver.waitFor(50, 15_000)
  for (const id of ids) expect(receiver.received.has(id)).toBe(true)
  expect(receiver.duplicates()).toBe(0)
})

test('a receiver answering 400 sends the message to dead letters; retry delivers it once fixed', {
  timeout: 30_000,
}, async () => {
  receiver.answer(400)
  const id = await send('refused at first')
  const dead = await until(
    async () => {
      const s = await status(id)
      return s.targets[0]?.state === 'dead' ? s : undefined
    },
    10_000,
    'dead letter',
  )
  expect(dead.targets[0]?.attempts).toBe(1)
  expect(dead.targets[0]?.lastError).toEqual({
    code: 'WEBHOOK_REJECTED',
    message: `${receiver.url} answered 400 Bad Request`,
  })
  const queue = (await (await bridge.api('/v1/queue')).json()) as {
    dead: { id: string; messageId: string; error: { code: string } }[]
  }
  const letter = queue.dead.find((d) => d.messageId === id)
  expect(letter?.error.code).toBe('WEBHOOK_REJECTED')

  receiver.answer(200)
  const retry = await bridge.api(`/v1/queue/dead/${letter?.id}/retry`, { method: 'POST' })
  expect(retry.status).toBe(202)
  await until(async () => (receiver.received.has(id) ? true : undefined), 10_000, 'delivery after retry')
  const done = await until(
    async () => {
      const s = await status(id)
      return s.targets[0]?.state === 'delivered' ? s : undefined
    },
    5000,
    'the delivery recorded',
  )
  expect(done.targets[0]?.state).toBe('delivered')
  expect(done.traces.map((t) => t.outcome)).toEqual(['ok', 'dead', 'ok'])
  const again = await bridge.api(`/v1/queue/dead/${letter?.id}/retry`, { method: 'POST' })
  expect(again.status).toBe(404)
})
