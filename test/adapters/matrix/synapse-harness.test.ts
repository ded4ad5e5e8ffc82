import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  type AppserviceRegistration,
  quietSdkLogger,
  type Synapse,
  startSynapse,
} from '../../helpers/synapse.ts'

// The harness the Matrix adapter's tests build on: a real Synapse, a stand-in appservice
// (a bare HTTP server recording what the homeserver pushes), and matrix-js-sdk clients.

interface Push {
  method: string
  path: string
  authorization: string | undefined
  body: { events?: { event_id: string; type: string; sender: string; room_id: string; state_key?: string }[] }
}

const AS_TOKEN = randomBytes(16).toString('hex')
const HS_TOKEN = randomBytes(16).toString('hex')
const pushes: Push[] = []
let appservice: Server
let synapse: Synapse
const clients: MatrixClient[] = []

/** Every request the homeserver makes to the appservice is recorded and answered `200 {}`. */
async function startAppservice(): Promise<string> {
  appservice = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      pushes.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: raw === '' ? {} : JSON.parse(raw),
      })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((r) => appservice.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(appservice.address() as AddressInfo).port}`
}

const registration = (url: string): AppserviceRegistration => ({
  id: 'mainframe-test',
  url,
  as_token: AS_TOKEN,
  hs_token: HS_TOKEN,
  sender_localpart: '_mainframe_bot',
  namespaces: { users: [{ exclusive: true, regex: '@_mainframe_.*' }] },
  rate_limited: false,
})

/** Resolves with the first push (and its event) whose events include one matching `match`. */
async function pushedEvent(
  match: (e: NonNullable<Push['body']['events']>[number]) => boolean,
  timeoutMs = 10_000,
) {
  const end = Date.now() + timeoutMs
  for (;;) {
    for (const push of pushes) {
      const event = push.body.events?.find(match)
      if (event) return { push, event }
    }
    if (Date.now() > end) throw new Error(`no matching event pushed to the appservice in ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A client API call as the appservice (its as_token), optionally as one of its users. */
const asAppservice = (path: string, init: { method: string; body?: unknown }, userId?: string) =>
  fetch(`${synapse.baseUrl}${path}${userId ? `?user_id=${encodeURIComponent(userId)}` : ''}`, {
    method: init.method,
    headers: { authorization: `Bearer ${AS_TOKEN}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })

beforeAll(async () => {
  synapse = await startSynapse({ registration: registration(await startAppservice()) })
  console.log(`synapse ${synapse.version} answered in ${synapse.startupMs} ms`)
}, 90_000)

afterAll(async () => {
  for (const client of clients) client.stopClient()
  await synapse?.stop()
  await new Promise((r) => appservice?.close(r))
})

describe('Synapse test harness (real homeserver, appservice registered)', () => {
  test('a message from a logged-in matrix-js-sdk user reaches the appservice as a transaction carrying the hs_token', async () => {
    const bot = '@_mainframe_bot:localhost'
    await synapse.registerUser('alice', 'alice-password')
    const bob = await synapse.registerUser('bob', 'bob-password')

    // Alice logs in with a password, as a real client does.
    const login = await createClient({ baseUrl: synapse.baseUrl, logger: quietSdkLogger }).loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'alice-password',
    })
    const alice = createClient({
      baseUrl: synapse.baseUrl,
      userId: login.user_id,
      accessToken: login.access_token,
      deviceId: login.device_id,
      logger: quietSdkLogger,
    })
    const bobClient = createClient({ baseUrl: synapse.baseUrl, ...bob, logger: quietSdkLogger })
    clients.push(alice, bobClient)
    expect(await alice.whoami()).toMatchObject({ user_id: '@alice:localhost' })

    const { room_id: roomId } = await alice.createRoom({ name: 'harness', invite: [bob.userId, bot] })
    await bobClient.joinRoom(roomId)

    // The homeserver pushes events of rooms where the appservice has a member: it sees the
    // bot's invite (the state_key is in its namespace), and once the bot joined, everything.
    const invite = await pushedEvent((e) => e.type === 'm.room.member' && e.state_key === bot)
    expect(invite.event.room_id).toBe(roomId)
    const join = await asAppservice(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, {
      method: 'POST',
      body: {},
    })
    expect(join.status).toBe(200)

    const sent = await alice.sendTextMessage(roomId, 'hello appservice')
    const { push, event } = await pushedEvent((e) => e.event_id === sent.event_id)
    expect(event).toMatchObject({
      type: 'm.room.message',
      sender: '@alice:localhost',
      room_id: roomId,
      content: { msgtype: 'm.text', body: 'hello appservice' },
    })
    expect(push.method).toBe('PUT')
    expect(push.path).toMatch(/^\/_matrix\/app\/v1\/transactions\/[^/?]+$/)
    expect(push.authorization).toBe(`Bearer ${HS_TOKEN}`)
    // Every push, not just this one, authenticates with the hs_token and nothing else.
    for (const p of pushes) expect(p.authorization).toBe(`Bearer ${HS_TOKEN}`)
  }, 60_000)

  test('the appservice registers a ghost in its namespace with its as_token, and acts as it', async () => {
    const res = await asAppservice('/_matrix/client/v3/register', {
      method: 'POST',
      body: { type: 'm.login.application_service', username: '_mainframe_test', inhibit_login: true },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user_id: '@_mainframe_test:localhost' })

    const whoami = await asAppservice(
      '/_matrix/client/v3/account/whoami',
      { method: 'GET' },
      '@_mainframe_test:localhost',
    )
    expect(await whoami.json()).toMatchObject({ user_id: '@_mainframe_test:localhost' })

    // Outside its namespace the homeserver refuses.
    const outside = await asAppservice('/_matrix/client/v3/register', {
      method: 'POST',
      body: { type: 'm.login.application_service', username: 'not_ours', inhibit_login: true },
    })
    expect(outside.status).toBe(400)
    expect(await outside.json()).toMatchObject({ errcode: 'M_EXCLUSIVE' })
  }, 30_000)
})
