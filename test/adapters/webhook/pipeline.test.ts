import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sign } from '../../../adapters/webhook/signature.ts'
import { feedLink, startTestBridge, type TestBridge, testConfig, until } from '../../helpers/bridge.ts'
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.ts'

const SECRET = 'webhook-secret-for-tests-0123456789'
let bridge: TestBridge
let receiver: Receiver
let linkId: string

interface Status {
  state: string
  targets: {
    state: string
    attempts: number
    lastError: { code: string; message: string } | null
    nativeId: string | null
  }[]
  traces: { stage: string; outcome: string; error: { code: string } | null }[]
}

const send = (text: string, extra: Record<string, unknown> = {}) =>
  bridge.api('/v1/messages', {
    method: 'POST',
    body: JSON.stringify({ conversation: { network: 'webhook', id: 'feed' }, body: { text }, ...extra }),
  })
const status = async (id: string) => (await (await bridge.api(`/v1/messages/${id}`)).json()) as Status

beforeAll(async () => {
  receiver = await startReceiver(SECRET)
  bridge = await startTestBridge(testConfig({ api: { max_body_bytes: 4096 } }))
  const res = await bridge.api('/v1/links', {
    method: 'POST',
    body: JSON.stringify(feedLink(receiver.url, SECRET)),
  })
  expect(res.status).toBe(201)
  linkId = ((await res.json()) as { id: string }).id
})
afterAll(async () => {
  await bridge?.stop()
  await receiver?.close()
})

describe('webhook delivery through the pipeline (real HTTP, sqlite store and queue)', () => {
  test('a message sent through the API arrives signed, with its id as Idempotency-Key; status shows every step', async () => {
    const res = await send('hello receiver', { idempotencyKey: 'first' })
    expect(res.status).toBe(202)
    const { id, duplicate } = (await res.json()) as { id: string; duplicate: boolean }
    expect(duplicate).toBe(false)
    await receiver.waitFor(1, 10_000)
    expect(receiver.received.get(id)?.body.text).toBe('hello receiver')
    expect(receiver.badSignatures()).toBe(0)
    const s = await until(
      async () => {
        const st = await status(id)
        return st.targets[0]?.state === 'delivered' ? st : undefined
      },
      5000,
      'delivered state',
    )
    expect(s.state).toBe('routed')
    expect(s.targets[0]).toMatchObject({ state: 'delivered', attempts: 1, lastError: null })
    expect(s.targets[0]?.nativeId).toMatch(/^rcv-/)
    expect(s.traces.map((t) => `${t.stage}:${t.outcome}`)).toEqual(['route:ok', 'deliver:ok'])
  })

  test('the same input twice gets the same id and one delivery', async () => {
    const before = receiver.hits()
    const a = (await (await send('same twice')).json()) as { id: string; duplicate: boolean }
    const b = (await (await send('same twice')).json()) as { id: string; duplicate: boolean }
    expect(b.id).toBe(a.id)
    expect(b.duplicate).toBe(true)
    await until(
      async () => ((await status(a.id)).targets[0]?.state === 'delivered' ? true : undefined),
      5000,
      'delivery',
    )
    await new Promise((r) => setTimeout(r, 300))
    expect(receiver.hits() - before).toBe(1)
  })

  test('a signed inbound webhook POST is relayed to the other endpoint', async () => {
    const inbound = await startReceiver(SECRET)
    const link = (await (
      await bridge.api('/v1/links', {
        method: 'POST',
        body: JSON.stringify({
          name: 'inbound',
          endpoints: [
            {
              network: 'webhook',
              address: 'https://sender.example.com/out',
              direction: 'out',
              options: { secret: SECRET },
            },
            { network: 'webhook', address: inbound.url, direction: 'in', options: { secret: SECRET } },
          ],
        }),
      })
    ).json()) as { id: string }
    const body = JSON.stringify({
      id: 'evt-1',
      sender: 'mailto:alice@example.com',
      body: { text: 'from outside' },
    })
    const post = () =>
      fetch(`${bridge.url}/adapters/webhook/${link.id}`, {
        method: 'POST',
        body,
        headers: {
          'x-mainframe-signature': sign(SECRET, body, Math.floor(Date.now() / 1000)),
          'content-type': 'application/json',
        },
      })
    const first = await post()
    expect(first.status).toBe(202)
    const { id } = (await first.json()) as { id: string }
    expect(((await (await post()).json()) as { duplicate: boolean }).duplicate).toBe(true)
    await inbound.waitFor(1, 10_000)
    const got = inbound.received.get(id) as unknown as {
      origin: { network: string; sender: string }
      body: { text: string }
    }
    expect(got.body.text).toBe('from outside')
    expect(got.origin).toMatchObject({ network: 'webhook', sender: 'mailto:alice@example.com' })
    await inbound.close()
  })

  test('a sender outside the ACL is refused, with the reason in the status', async () => {
    const res = await bridge.api(`/v1/links/${linkId}`, {
      method: 'PATCH',
      body: JSON.stringify({ acl: { allowSenders: ['matrix:@*:example.com'] } }),
    })
    expect(res.status).toBe(200)
    const { id } = (await (await send('not allowed', { sender: 'mailto:mallory@example.com' })).json()) as {
      id: string
    }
    const s = await until(
      async () => {
        const st = await status(id)
        return st.state === 'routed' ? st : undefined
      },
      5000,
      'routing',
    )
    expect(s.targets[0]?.state).toBe('refused')
    expect(s.targets[0]?.lastError?.code).toBe('ACL_DENIED')
    expect(receiver.received.has(id)).toBe(false)
    const ok = (await (await send('allowed', { sender: 'matrix:@bob:example.com' })).json()) as { id: string }
    await until(
      async () => (receiver.received.has(ok.id) ? true : undefined),
      5000,
      'allowed sender delivered',
    )
    await bridge.api(`/v1/links/${linkId}`, {
      method: 'PATCH',
      body: JSON.stringify({ acl: { allowSenders: null } }),
    })
  })

  test('a message in a conversation no link sends from says so', async () => {
    const res = await bridge.api('/v1/messages', {
      method: 'POST',
      body: JSON.stringify({ conversation: { network: 'webhook', id: 'nowhere' }, body: { text: 'lost?' } }),
    })
    const { id } = (await res.json()) as { id: string }
    const s = await until(
      async () => {
        const st = await status(id)
        return st.state === 'routed' ? st : undefined
      },
      5000,
      'routing',
    )
    expect(s.targets).toEqual([])
    expect(s.traces[0]).toMatchObject({ stage: 'route', outcome: 'refused', error: { code: 'NO_ROUTE' } })
  })
})

describe('bad input: a clear 4xx JSON error, and nothing enters the queue', () => {
  const queueTotals = async () => {
    const q = (await (await bridge.api('/v1/queue')).json()) as {
      deliveries: Record<string, number>
      stages: Record<string, Record<string, number>>
    }
    return JSON.stringify(q.deliveries)
  }

  test.each([
    ['malformed JSON', '/v1/messages', '{"conversation": ', {}, 400, 'JSON_INVALID'],
    [
      'an unknown field',
      '/v1/messages',
      JSON.stringify({
        conversation: { network: 'webhook', id: 'feed' },
        body: { text: 'x' },
        colour: 'red',
      }),
      {},
      400,
      'INVALID_REQUEST',
    ],
    [
      'a bad sender',
      '/v1/messages',
      JSON.stringify({
        conversation: { network: 'webhook', id: 'feed' },
        body: { text: 'x' },
        sender: 'alice',
      }),
      {},
      400,
      'INVALID_REQUEST',
    ],
    [
      'an oversize body',
      '/v1/messages',
      JSON.stringify({ conversation: { network: 'webhook', id: 'feed' }, body: { text: 'x'.repeat(5000) } }),
      {},
      413,
      'BODY_TOO_LARGE',
    ],
    [
      'no token',
      '/v1/messages',
      JSON.stringify({ conversation: { network: 'webhook', id: 'feed' }, body: { text: 'x' } }),
      { authorization: '' },
      401,
      'UNAUTHORIZED',
    ],
  ])('%s', async (_name, path, body, headers, code, errorCode) => {
    const before = await queueTotals()
    const res = await bridge.api(path, { method: 'POST', body, headers })
    expect(res.status).toBe(code)
    const json = (await res.json()) as { error: { code: string; message: string; hint: string } }
    expect(json.error.code).toBe(errorCode)
    expect(json.error.message.length).toBeGreaterThan(5)
    expect(await queueTotals()).toBe(before)
  })

  test('inbound webhook: wrong HMAC, stale signature, unknown link, bad body', async () => {
    const before = await queueTotals()
    const link = (
      (await (await bridge.api('/v1/links')).json()) as { links: { id: string; name: string }[] }
    ).links.find((l) => l.name === 'feed to receiver')
    const body = JSON.stringify({ id: 'x1', sender: 'mailto:a@example.com', body: { text: 'hi' } })
    const now = Math.floor(Date.now() / 1000)
    const post = (id: string, b: string, signature: string) =>
      fetch(`${bridge.url}/adapters/webhook/${id}`, {
        method: 'POST',
        body: b,
        headers: { 'x-mainframe-signature': signature },
      })
    const wrong = await post(link!.id, body, sign('not-the-secret', body, now))
    expect(wrong.status).toBe(401)
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
      'signature does not match the body',
    )
    const stale = await post(link!.id, body, sign(SECRET, body, now - 3600))
    expect(stale.status).toBe(401)
    expect(((await stale.json()) as { error: { message: string } }).error.message).toMatch(
      /more than 300 s from now/,
    )
    const unknown = await post('lnope', body, sign(SECRET, body, now))
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('LINK_NOT_FOUND')
    const badBody = JSON.stringify({ id: 'x2', body: { text: 'no sender' }, extra: true })
    const bad = await post(link!.id, badBody, sign(SECRET, badBody, now))
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /sender.*unknown field\(s\) extra|unknown field\(s\) extra.*sender/,
    )
    expect(await queueTotals()).toBe(before)
  })
})
