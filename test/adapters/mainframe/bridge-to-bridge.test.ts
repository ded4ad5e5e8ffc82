import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeDataDir, testConfig, until } from '../../helpers/bridge.ts'
import { type BridgeProcess, runCli, startCli } from '../../helpers/cli.ts'
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.ts'

// Two whole bridges, each a real process with its own node, store and queue. A message
// posted to bridge A goes out over Mainframe (sealed, direct) to bridge B, enters B's
// pipeline and reaches B's webhook receiver. B's receipt marks A's delivery done.
const SECRET = 'mainframe-e2e-secret-0123456789abcdef'
let a: { bridge: BridgeProcess; token: string; peerId: string }
let b: { bridge: BridgeProcess; token: string; peerId: string }
let receiver: Receiver

const api = (side: typeof a, path: string, init: RequestInit = {}) =>
  fetch(`${side.bridge.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${side.token}`, 'content-type': 'application/json' },
  })

async function start(bootstrap: string[]): Promise<typeof a> {
  const { configPath, token } = await makeDataDir(testConfig({ log: { level: 'warn' }, node: { bootstrap } }))
  const bridge = await startCli(['--config', configPath])
  const node = (await (
    await fetch(`${bridge.url}/v1/node`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as {
    peerId: string
    addresses: string[]
  }
  return { bridge, token, peerId: node.peerId, ...{ addresses: node.addresses } }
}

beforeAll(async () => {
  receiver = await startReceiver(SECRET)
  a = await start([])
  const addresses = ((await (await api(a, '/v1/node')).json()) as { addresses: string[] }).addresses
  b = await start([addresses[0] as string])
  const out = await api(a, '/v1/links', {
    method: 'POST',
    body: JSON.stringify({
      name: 'feed to bridge B',
      endpoints: [
        { network: 'webhook', address: 'feed', direction: 'out', options: { secret: SECRET } },
        { network: 'mainframe', address: b.peerId, direction: 'in', options: {} },
      ],
    }),
  })
  expect(out.status).toBe(201)
  const inbound = await api(b, '/v1/links', {
    method: 'POST',
    body: JSON.stringify({
      name: 'bridge A to receiver',
      endpoints: [
        { network: 'mainframe', address: a.peerId, direction: 'out', options: {} },
        { network: 'webhook', address: receiver.url, direction: 'in', options: { secret: SECRET } },
      ],
    }),
  })
  expect(inbound.status).toBe(201)
  await until(
    async () =>
      ((await (await api(b, '/v1/node/peers')).json()) as { peers: { peerId: string }[] }).peers.some(
        (p) => p.peerId === a.peerId,
      ) || undefined,
    15_000,
    'B connected to A',
  )
}, 60_000)
afterAll(async () => {
  expect(await a?.bridge.stop()).toBe(0)
  expect(await b?.bridge.stop()).toBe(0)
  await receiver?.close()
})

describe('bridge to bridge over Mainframe (two real processes)', () => {
  test('a message to bridge A reaches B’s receiver; A records B’s receipt', async () => {
    const res = await api(a, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: 'feed' },
        body: { text: 'across the network' },
      }),
    })
    expect(res.status).toBe(202)
    const { id } = (await res.json()) as { id: string }
    await receiver.waitFor(1, 20_000)
    const [arrived] = [...receiver.received.values()]
    expect(arrived?.body.text).toBe('across the network')
    expect(arrived?.id).not.toBe(id) // B gives it its own id: it entered B's pipeline from Mainframe
    const status = await until(
      async () => {
        const s = (await (await api(a, `/v1/messages/${id}`)).json()) as {
          targets: { network: string; state: string; nativeId: string | null }[]
        }
        return s.targets[0]?.state === 'delivered' ? s : undefined
      },
      10_000,
      'A marks the delivery done',
    )
    expect(status.targets[0]).toMatchObject({ network: 'mainframe', state: 'delivered' })
    expect(status.targets[0]?.nativeId).toMatch(/^[0-9a-f]{64}$/)
    const origin = (await (await api(b, `/v1/messages/${arrived?.id}`)).json()) as {
      message: { origin: { sender: string } }
    }
    expect(origin.message.origin.sender).toBe(`mf:${a.peerId}`)
  })

  test('a group made on A through the API: B, added as a member, sees it with the same epoch', async () => {
    const created = await api(a, '/v1/groups', { method: 'POST', body: '{}' })
    expect(created.status).toBe(201)
    const group = (await created.json()) as { id: string; epoch: number; members: string[] }
    expect(group.members).toEqual([a.peerId])
    const added = await api(a, `/v1/groups/${group.id}/members`, {
      method: 'POST',
      body: JSON.stringify({ peerId: b.peerId }),
    })
    expect(added.status).toBe(202)
    const { epoch } = (await added.json()) as { epoch: number }
    const seen = await until(
      async () => {
        const list = (await (await api(b, '/v1/groups')).json()) as {
          groups: { id: string; epoch: number; role: string; members: string[] }[]
        }
        return list.groups.find((g) => g.id === group.id)
      },
      15_000,
      'B joins the group',
    )
    expect(seen).toMatchObject({ epoch, role: 'member' })
    expect(seen.members).toEqual([a.peerId, b.peerId])
    const notOrderer = await api(b, `/v1/groups/${group.id}/members`, {
      method: 'POST',
      body: JSON.stringify({ peerId: a.peerId }),
    })
    expect(notOrderer.status).toBe(409)

    const cli = (what: string) => runCli(['node', what, '--url', a.bridge.url, '--token', a.token])
    const peers = await cli('peers')
    expect(peers.code).toBe(0)
    expect(peers.stdout).toContain(b.peerId)
    const groups = await cli('groups')
    expect(groups.code).toBe(0)
    expect(groups.stdout).toContain(`${group.id}  epoch ${epoch}  orderer  2 members`)

    // The group as a link endpoint: A's feed goes into the group, B takes it out to its receiver.
    const link = (side: typeof a, endpoints: unknown[]) =>
      api(side, '/v1/links', { method: 'POST', body: JSON.stringify({ name: 'group', endpoints }) })
    const groupEndpoint = (direction: string) => ({
      network: 'mainframe',
      address: `group:${group.id}`,
      direction,
      options: {},
    })
    expect(
      (
        await link(a, [
          { network: 'webhook', address: 'group-feed', direction: 'out', options: { secret: SECRET } },
          groupEndpoint('in'),
        ])
      ).status,
    ).toBe(201)
    expect(
      (
        await link(b, [
          groupEndpoint('out'),
          { network: 'webhook', address: receiver.url, direction: 'in', options: { secret: SECRET } },
        ])
      ).status,
    ).toBe(201)
    const before = receiver.received.size
    const sent = await api(a, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: 'group-feed' },
        body: { text: 'to the group' },
      }),
    })
    expect(sent.status).toBe(202)
    await receiver.waitFor(before + 1, 20_000)
    const arrived = [...receiver.received.values()].find((m) => m.body.text === 'to the group')
    expect(arrived).toBeDefined()
    const there = (await (await api(b, `/v1/messages/${arrived?.id}`)).json()) as {
      message: { origin: { sender: string }; conversation: { id: string } }
    }
    expect(there.message.origin.sender).toBe(`mf:${a.peerId}`)
    expect(there.message.conversation.id).toBe(`group:${group.id}`)

    // A Matrix user's message in the group is signed by their bridge identity: B sees who spoke.
    const spoken = await api(a, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: 'group-feed' },
        sender: 'matrix:@bob:example.org',
        body: { text: 'bob in the group' },
      }),
    })
    expect(spoken.status).toBe(202)
    const bobs = await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'bob in the group'),
      20_000,
      "B hands on bob's group message",
    )
    const identities = (await (await api(a, '/v1/identities')).json()) as {
      identities: { peerId: string; subject: string }[]
    }
    const bob = identities.identities.find((i) => i.subject === 'matrix:@bob:example.org')
    const heard = (await (await api(b, `/v1/messages/${bobs.id}`)).json()) as typeof there
    expect(heard.message.origin.sender).toBe(`mf:${bob?.peerId}`)
    expect(heard.message.conversation.id).toBe(`group:${group.id}`)
  })

  test('a person of another network speaks through a bridge identity and is answered at it', async () => {
    // Alice (email) speaks through bridge A: B's side sees her bridge identity, not A's node.
    const sent = await api(a, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: 'feed' },
        sender: 'mailto:alice@example.org',
        body: { text: 'alice speaking' },
      }),
    })
    expect(sent.status).toBe(202)
    const heard = await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'alice speaking'),
      20_000,
      "B hands on alice's message",
    )
    const listed = (await (await api(a, '/v1/identities')).json()) as {
      identities: { peerId: string; subject: string; announcedAt: number | null }[]
    }
    const alice = listed.identities.find((i) => i.subject === 'mailto:alice@example.org')
    expect(alice?.peerId).toMatch(/^12D3KooW/)
    expect(alice?.peerId).not.toBe(a.peerId)
    const onB = (await (await api(b, `/v1/messages/${heard.id}`)).json()) as {
      message: { origin: { sender: string }; conversation: { id: string } }
    }
    expect(onB.message.origin.sender).toBe(`mf:${alice?.peerId}`)
    expect(onB.message.conversation.id).toBe(a.peerId)
    await until(
      async () => {
        const again = (await (await api(a, '/v1/identities')).json()) as typeof listed
        return again.identities.find((i) => i.peerId === alice?.peerId)?.announcedAt ?? undefined
      },
      15_000,
      "A announces alice's hosted-by record",
    )

    // B answers alice's identity: the DHT names A as her host; A takes it in at her inbox.
    const link = (side: typeof a, name: string, endpoints: unknown[]) =>
      api(side, '/v1/links', { method: 'POST', body: JSON.stringify({ name, endpoints }) })
    const inbox = { network: 'mainframe', address: alice?.peerId, options: {} }
    expect(
      (
        await link(b, 'answers to alice', [
          { network: 'webhook', address: 'answers', direction: 'out', options: { secret: SECRET } },
          { ...inbox, direction: 'in' },
        ])
      ).status,
    ).toBe(201)
    expect(
      (
        await link(a, "alice's inbox", [
          { ...inbox, direction: 'out' },
          { network: 'webhook', address: receiver.url, direction: 'in', options: { secret: SECRET } },
        ])
      ).status,
    ).toBe(201)
    const answer = await api(b, '/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        conversation: { network: 'webhook', id: 'answers' },
        body: { text: 'hello alice' },
      }),
    })
    expect(answer.status).toBe(202)
    const { id } = (await answer.json()) as { id: string }
    const reached = await until(
      async () => [...receiver.received.values()].find((m) => m.body.text === 'hello alice'),
      20_000,
      "A hands on the answer from alice's inbox",
    )
    const onA = (await (await api(a, `/v1/messages/${reached.id}`)).json()) as {
      message: { origin: { sender: string }; conversation: { id: string } }
    }
    expect(onA.message.conversation.id).toBe(alice?.peerId)
    expect(onA.message.origin.sender).toBe(`mf:${b.peerId}`)
    const delivered = (await (await api(b, `/v1/messages/${id}`)).json()) as {
      targets: { network: string; state: string }[]
    }
    expect(delivered.targets[0]).toMatchObject({ network: 'mainframe', state: 'delivered' })
  })
})
