import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { until } from '../helpers/bridge.ts'
import { type NodeProcess, startNodeProcess } from '../helpers/node-process.ts'

// Five real nodes, each in its own process, on 127.0.0.1; they know only the first one.
const nodes: NodeProcess[] = []
beforeAll(async () => {
  const boot = await startNodeProcess()
  nodes.push(boot)
  nodes.push(
    ...(await Promise.all(Array.from({ length: 4 }, () => startNodeProcess({ bootstrap: [boot.address] })))),
  )
}, 60_000)
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
})

describe('five node processes, one bootstrap node', () => {
  test('A finds E through the DHT, sends it a message directly, and gets E’s signed receipt', async () => {
    const [, a, , , e] = nodes as [NodeProcess, NodeProcess, NodeProcess, NodeProcess, NodeProcess]
    const found = await until(
      () =>
        a.call<string[]>('findPeer', { peer: e.peerId }).then(
          (addrs) => (addrs.length ? addrs : undefined),
          () => undefined,
        ),
      20_000,
      'A finds E in the DHT',
    )
    expect(found.some((addr) => addr.includes('/tcp/'))).toBe(true)

    const payload = Buffer.from('hello E, from A').toString('hex')
    const receipt = await a.call<{ recipient: string; deliveredAt: number; mid: string }>('send', {
      to: e.peerId,
      payload,
    })
    expect(receipt.recipient).toBe(e.peerId)
    expect(receipt.deliveredAt).toBeGreaterThan(Date.now() - 30_000)
    expect(e.received).toEqual([{ event: 'direct', mid: receipt.mid, from: a.peerId, payload }])
  })
})
