import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type MatrixClient } from 'matrix-js-sdk'
import { expect } from 'vitest'
import { parse, stringify } from 'yaml'
import { makeDataDir, testConfig, until } from './bridge.ts'
import { type BridgeProcess, startCli } from './cli.ts'
import { freePort } from './driven-child.ts'
import { quietSdkLogger, type Synapse, startSynapse } from './synapse.ts'
import { type Receiver, startReceiver } from './webhook-receiver.ts'

/** One bridge process of the community setup, with what its tests need to reach and restart it. */
export type Side = {
  bridge: BridgeProcess
  token: string
  peerId: string
  configPath: string
  addresses: string[]
}

/** DESIGN.md scenario 1 as the Matrix tests run it (see startCommunity). */
export interface Community {
  synapse: Synapse
  /** The Matrix bridge: Matrix adapter and node, the group's orderer. */
  a: Side
  /** The second node: a group member handing the group to a webhook app. */
  b: Side
  /** The app on B: gets the group's messages; its messages enter at webhook conversation `app`. */
  receiver: Receiver
  alice: MatrixClient
  /** A second Matrix user in the room, when asked for. */
  bob: MatrixClient | undefined
  roomId: string
  groupId: string
}

/** fetch against a side's API with its admin token. */
export const api = (side: Side, path: string, init: RequestInit = {}) =>
  fetch(`${side.bridge.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${side.token}`, 'content-type': 'application/json' },
  })

export const json = async <T>(res: Promise<Response>): Promise<T> => (await (await res).json()) as T

/**
 * A real Synapse; bridge A (Matrix adapter + node) with the registration Synapse loads; bridge
 * B (a node bootstrapped from A); a group made on A with B added; a room of Alice's (and Bob's)
 * with the bot, linked by A to the group; B's link from the group to a webhook app.
 */
export async function startCommunity(options: {
  secret: string
  room: string
  withBob?: boolean
}): Promise<Community> {
  const receiver = await startReceiver(options.secret)
  const port = await freePort()
  let synapse: Synapse | undefined
  const a = await startSide(
    testConfig({ api: { listen: `127.0.0.1:${port}` }, log: { level: 'warn' } }),
    async (dir) => {
      const registrationPath = join(dir, 'registration.yaml')
      const registration = parse(readFileSync(registrationPath, 'utf8')) as Record<string, unknown>
      writeFileSync(registrationPath, stringify({ ...registration, url: `http://127.0.0.1:${port}` }))
      synapse = await startSynapse({ registration: registrationPath })
      const configPath = join(dir, 'config.yaml')
      const config = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>
      const matrix = { enabled: true, homeserver_url: synapse.baseUrl, server_name: synapse.serverName }
      writeFileSync(configPath, stringify({ ...config, adapters: { matrix } }))
    },
  )
  const hs = synapse as Synapse
  const b = await startSide(testConfig({ log: { level: 'warn' }, node: { bootstrap: [a.addresses[0]] } }))
  await until(
    async () =>
      (await json<{ peers: { peerId: string }[] }>(api(b, '/v1/node/peers'))).peers.some(
        (p) => p.peerId === a.peerId,
      ) || undefined,
    15_000,
    'B connected to A',
  )

  const groupId = (await json<{ id: string }>(api(a, '/v1/groups', { method: 'POST', body: '{}' }))).id
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

  const bot = `@_mainframe_bot:${hs.serverName}`
  const alice = createClient({
    baseUrl: hs.baseUrl,
    ...(await hs.registerUser('alice', 'alice-password')),
    logger: quietSdkLogger,
  })
  const bobLogin = options.withBob ? await hs.registerUser('bob', 'bob-password') : undefined
  const bob = bobLogin
    ? createClient({ baseUrl: hs.baseUrl, ...bobLogin, logger: quietSdkLogger })
    : undefined
  const invite = bobLogin ? [bot, bobLogin.userId] : [bot]
  const roomId = (await alice.createRoom({ name: options.room, invite })).room_id
  await bob?.joinRoom(roomId)
  await until(
    async () => ((await alice.getJoinedRoomMembers(roomId)).joined[bot] ? true : undefined),
    15_000,
    'the bot joins the room',
  )

  const link = (side: Side, name: string, endpoints: unknown[]) =>
    api(side, '/v1/links', { method: 'POST', body: JSON.stringify({ name, endpoints }) })
  const groupEndpoint = { network: 'mainframe', address: `group:${groupId}`, direction: 'both', options: {} }
  const portal = [{ network: 'matrix', address: roomId, direction: 'both', options: {} }, groupEndpoint]
  expect((await link(a, 'portal', portal)).status).toBe(201)
  const secret = { secret: options.secret }
  const app = [
    groupEndpoint,
    { network: 'webhook', address: receiver.url, direction: 'in', options: secret },
    { network: 'webhook', address: 'app', direction: 'out', options: secret },
  ]
  expect((await link(b, 'app', app)).status).toBe(201)
  return { synapse: hs, a, b, receiver, alice, bob, roomId, groupId }
}

/** Stops what startCommunity started (the sides as they are now: a test may have restarted one). */
export async function stopCommunity(c: Partial<Community>): Promise<void> {
  c.alice?.stopClient()
  c.bob?.stopClient()
  expect(await c.a?.bridge.stop()).toBe(0)
  expect(await c.b?.bridge.stop()).toBe(0)
  await c.synapse?.stop()
  await c.receiver?.close()
}

async function startSide(
  config: Record<string, unknown>,
  configure?: (dir: string) => Promise<void>,
): Promise<Side> {
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
