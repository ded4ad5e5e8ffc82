import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { until } from '../helpers/bridge.ts'
import { type NodeProcess, startNodeProcess } from '../helpers/node-process.ts'

// Five real node processes: a bootstrap node, the sender A, two more, and the recipient E.
let nodes: NodeProcess[] = []
beforeAll(async () => {
  const boot = await startNodeProcess()
  const rest = await Promise.all(
    Array.from({ length: 4 }, () => startNodeProcess({ bootstrap: [boot.address] })),
  )
  nodes = [boot, ...rest]
  await until(
    async () =>
      (await Promise.all(nodes.map((n) => n.call<string[]>('peers')))).every((p) => p.length >= 2)
        ? true
        : undefined,
    20_000,
    'every node knows at least two peers',
  )
}, 60_000)
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
})

const text = (i: number) => `held message number ${i}`

describe('packet holding (five node processes)', () => {
  test('100 messages to a stopped node are held near it, fetched in order once it is back, then deleted', async () => {
    const [, a, , , e] = nodes as [NodeProcess, NodeProcess, NodeProcess, NodeProcess, NodeProcess]
    await e.stop()

    for (let i = 0; i < 100; i++) {
      const outcome = await a.call<{ kind: string; holders: string[] }>('sendOrHold', {
        to: e.peerId,
        payload: Buffer.from(text(i)).toString('hex'),
        mid: randomBytes(32).toString('hex'),
      })
      expect(outcome.kind).toBe('held')
      expect(outcome.holders.length).toBeGreaterThanOrEqual(1)
      expect(outcome.holders).not.toContain(e.peerId)
    }
    const holders = nodes.filter((n) => n !== e && n !== a)
    const held = await Promise.all(holders.map((n) => n.call<{ packets: number }>('heldStats')))
    expect(held.reduce((sum, s) => sum + s.packets, 0)).toBeGreaterThanOrEqual(100)

    // A holder keeps sealed boxes only: no plaintext anywhere in its files.
    for (const holder of holders) {
      for (const file of readdirSync(holder.spec.dir)) {
        const bytes = readFileSync(join(holder.spec.dir, file))
        expect(bytes.includes(Buffer.from('held message number'))).toBe(false)
      }
    }

    const back = await e.restart()
    nodes[4] = back
    await until(
      async () => (back.received.length >= 100 ? true : undefined),
      30_000,
      'E receives the held messages',
    )
    await new Promise((r) => setTimeout(r, 500))
    expect(back.received.map((m) => Buffer.from(m.payload, 'hex').toString())).toEqual(
      Array.from({ length: 100 }, (_, i) => text(i)),
    )
    expect(back.received.every((m) => m.from === a.peerId)).toBe(true)
    await until(
      async () =>
        (await Promise.all(holders.map((n) => n.call<{ packets: number }>('heldStats')))).every(
          (s) => s.packets === 0,
        )
          ? true
          : undefined,
      15_000,
      'the holders deleted what E acknowledged',
    )
  })
})
