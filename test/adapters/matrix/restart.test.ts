import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import { matrixMessageId } from '../../../adapters/matrix/index.ts'
import { makeDataDir, testConfig, until } from '../../helpers/bridge.ts'
import { type BridgeProcess, startCli } from '../../helpers/cli.ts'
import { freePort } from '../../helpers/driven-child.ts'
import { quietSdkLogger, type Synapse, startSynapse } from '../../helpers/synapse.ts'
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.ts'

// DESIGN.md scenario 1 (see community.test.ts), restarted: bridge A (Matrix adapter + node,
// the group's orderer) is stopped while Matrix users speak; Synapse queues the transactions.
// A comes back on a new TCP port, finds B again and hands every message to the group: B's
// app gets them all, in order, once.
const SECRET = 'restart-e2e-secret-0123456789abcdef'
type Side = { bridge: BridgeProcess; token: string; peerId: string; configPath: string; addresses: string[] }
let synapse: Synapse
let a: Side
let b: Side
let receiver: Receiver
let alice: MatrixClient
let roomId: string
let groupId: string

const api = (side: Side, path: string, init: RequestInit = {}) =>
  fetch(`${side.bridge.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${side.token}`, 'content-type': 'application/json' },
  })
const json = async <T>(res: Promise<Response>): Promise<T> => (await (await res).json()) as T

async function startSide(config: Record<string, unknown>, configure?: (dir: string) => Promise<void>) {
  const made = await makeDataDir(config)
  await configure?.(made.dir)
  const bridge = await startCli(['--config', made.configPath])
  const node = await json<{ peerId: string; addresses: string[] }>(
    fetch(`${bridge.url}/v1/node`, { headers: { authorization: `Bearer ${made.token}` } }),
  )
  return {
    bridge,
    token: made.token,
    peerId: node.peerId,
    configPath: made.configPath,
    addresses: node.addresses,
  }
}

beforeAll(async () => {
  receiver = await startReceiver(SECRET)
  const port = await freePort()
  a = await startSide(
    testConfig({ api: { listen: `127.0.0.1:${port}` }, log: { level: 'warn' } }),
    async (dir) => {
      const registrationPath = join(dir, 'registration.yaml')
      const registration = parse(readFileSync(registrationPath, 'utf8')) as Record<string, unknown>
      writeFileSync(registrationPath, stringify({ ...registration, url: `http://127.0.0.1:${port}` }))
      synapse = await startSynapse({ registration: registrationPath })
      const configPath = join(dir, 'config.yaml')
      const config = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>
      writeFileSync(
        configPath,
        stringify({
          ...config,
          adapters: {
            matrix: { enabled: true, homeserver_url: synapse.baseUrl, server_name: synapse.serverName },
          },
        }),
      )
    },
  )
  b = await startSide(testConfig({ log: { level: 'warn' }, node: { bootstrap: [a.addresses[0]] } }))
  await until(
    async () =>
      (await json<{ peers: { peerId: string }[] }>(api(b, '/v1/node/peers'))).peers.some(
        (p) => p.peerId === a.peerId,
      ) || undefined,
    15_000,
    'B connected to A',
  )

  // The group: made on A, B added.
  groupId = (await json<{ id: string }>(api(a, '/v1/groups', { method: 'POST', body: '{}' }))).id
  const added = await api(a, `/v1/groups/${groupId}/members`, {
    method: 'POST',
    body: JSON.stringify({ peerId: b.peerId }),
  })
  expect(added.status).toBe(202)
  await until(
    async () =>
      (await json<{ groups: { id: string }[] }>(api(b, '/v1/groups'))).groups.some((g) => g.id === groupId) ||
      undefined,
    15_000,
    'B joins the group',
  )

  const bot = `@_mainframe_bot:${synapse.serverName}`
  alice = createClient({
    baseUrl: synapse.baseUrl,
    ...(await synapse.registerUser('alice', 'alice-password')),
    logger: quietSdkLogger,
  })
  roomId = (await alice.createRoom({ name: 'restart', invite: [bot] })).room_id
  await until(
    async () => ((await alice.getJoinedRoomMembers(roomId)).joined[bot] ? true : undefined),
    15_000,
    'the bot joins the room',
  )
  const link = (side: Side, name: string, endpoints: unknown[]) =>
    api(side, '/v1/links', { method: 'POST', body: JSON.stringify({ name, endpoints }) })
  const groupEndpoint = { network: 'mainframe', address: `group:${groupId}`, direction: 'both', options: {} }
  expect(
    (
      await link(a, 'portal', [
        { network: 'matrix', address: roomId, direction: 'both', options: {} },
        groupEndpoint,
      ])
    ).status,
  ).toBe(201)
  expect(
    (
      await link(b, 'app', [
        groupEndpoint,
        { network: 'webhook', address: receiver.url, direction: 'in', options: { secret: SECRET } },
        { network: 'webhook', address: 'app', direction: 'out', options: { secret: SECRET } },
      ])
    ).status,
  ).toBe(201)
}, 180_000)

afterAll(async () => {
  alice?.stopClient()
  expect(await a?.bridge.stop()).toBe(0)
  expect(await b?.bridge.stop()).toBe(0)
  await synapse?.stop()
  await receiver?.close()
})

describe('community bridge restarted: a Matrix room and a Mainframe group over two nodes', () => {
  test('a Matrix message reaches the group app while both bridges run', async () => {
    await alice.sendTextMessage(roomId, 'before the restart')
    await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'before the restart'),
      30_000,
      'the message reaches the app on B',
    )
  })

  test('bridge A is down while Alice sends 20 messages: after its restart all reach the app, in order, once', {
    timeout: 150_000,
  }, async () => {
    expect(await a.bridge.stop()).toBe(0)
    const texts = Array.from({ length: 20 }, (_, i) => `while A was down ${i}`)
    const sentIds: string[] = []
    for (const text of texts) sentIds.push((await alice.sendTextMessage(roomId, text)).event_id)
    // A comes back on a new port: it finds B through B's address.
    const config = parse(readFileSync(a.configPath, 'utf8')) as Record<string, Record<string, unknown>>
    writeFileSync(
      a.configPath,
      stringify({
        ...config,
        log: { level: process.env.MFB_TEST_DEBUG ? 'debug' : 'warn' },
        node: { ...config.node, bootstrap: [b.addresses[0]] },
      }),
    )
    const debug = process.env.MFB_TEST_DEBUG ? { DEBUG: process.env.MFB_TEST_DEBUG } : {}
    a = { ...a, bridge: await startCli(['--config', a.configPath], debug) }
    const arrived = await until(
      async () => {
        const got = [...receiver.received.values()].filter((m) => m.body.text.startsWith('while A was down '))
        return got.length >= texts.length ? got : undefined
      },
      40_000,
      'all 20 reach the app after A restarts',
    ).catch(async (err) => {
      const first = await (await api(a, `/v1/messages/${matrixMessageId(sentIds[0] as string)}`)).text()
      const peers = await (await api(a, '/v1/node/peers')).text()
      const bPeers = await (await api(b, '/v1/node/peers')).text()
      if (process.env.MFB_TEST_DEBUG) {
        writeFileSync('/tmp/restart-a.log', a.bridge.stdout())
        writeFileSync('/tmp/restart-a.err', a.bridge.stderr())
        writeFileSync('/tmp/restart-b.log', b.bridge.stdout())
      }
      throw new Error(
        `${err.message}; on A: ${first.slice(0, 300)}\nA peers: ${peers}\nB peers: ${bPeers}\nA log: ${a.bridge.stdout().slice(-3000)}\nB log: ${b.bridge.stdout().slice(-3000)}`,
      )
    })
    expect(arrived).toHaveLength(texts.length)
    // In order: B ingested them as Alice sent them.
    const stored = await Promise.all(
      arrived.map(async (m) => ({
        text: m.body.text,
        at: (await json<{ receivedAt: number }>(api(b, `/v1/messages/${m.id}`))).receivedAt,
      })),
    )
    expect(stored.sort((x, y) => x.at - y.at).map((s) => s.text)).toEqual(texts)
  })
})
