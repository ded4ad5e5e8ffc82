import { readFileSync, writeFileSync } from 'node:fs'
import type { MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import { matrixMessageId } from '../../../adapters/matrix/index.ts'
import { until } from '../../helpers/bridge.ts'
import { startCli } from '../../helpers/cli.ts'
import { api, json, type Side, startCommunity, stopCommunity } from '../../helpers/community.ts'
import type { Synapse } from '../../helpers/synapse.ts'
import type { Receiver } from '../../helpers/webhook-receiver.ts'

// DESIGN.md scenario 1 (see community.test.ts), restarted: bridge A (Matrix adapter + node,
// the group's orderer) is stopped while Matrix users speak; Synapse queues the transactions.
// A comes back on a new TCP port, finds B again and hands every message to the group: B's
// app gets them all, in order, once.
const SECRET = 'restart-e2e-secret-0123456789abcdef'
let synapse: Synapse
let a: Side
let b: Side
let receiver: Receiver
let alice: MatrixClient
let roomId: string

beforeAll(async () => {
  ;({ synapse, a, b, receiver, alice, roomId } = await startCommunity({ secret: SECRET, room: 'restart' }))
}, 180_000)

afterAll(() => stopCommunity({ synapse, a, b, receiver, alice }))

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
