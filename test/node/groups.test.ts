import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { until } from '../helpers/bridge.ts'
import { type GroupNodeProcess, startGroupNode } from '../helpers/group-node-process.ts'

interface Info {
  groupId: string
  topic: string
  epoch: number
  role: string
  members: string[]
}
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms))

// Each mode runs five real nodes, each in its own process on 127.0.0.1, bootstrapping from A
// (the orderer). "held": control payloads to an offline member are handed to packet holding
// (sendOrHold) and fetched by it on return. "queued": plain send; the orderer's outbox keeps
// them and retries when the member connects again.
describe.each([
  { mode: 'held', hold: true },
  { mode: 'queued', hold: false },
])('MLS groups on node processes, offline payloads $mode', ({ hold }) => {
  let a: GroupNodeProcess
  let b: GroupNodeProcess
  let c: GroupNodeProcess
  let d: GroupNodeProcess
  let e: GroupNodeProcess
  let group: string
  const running = new Set<GroupNodeProcess>()
  const info = async (n: GroupNodeProcess): Promise<Info | undefined> =>
    (await n.call<Info[]>('list')).find((g) => g.groupId === group)
  const texts = (n: GroupNodeProcess) =>
    n.messages.filter((m) => m.groupId === group).map((m) => `${m.from}:${m.text}`)
  const atEpoch = (n: GroupNodeProcess, epoch: number, ms = 20_000) =>
    until(async () => ((await info(n))?.epoch === epoch ? true : undefined), ms, `epoch ${epoch}`)
  const reads = (n: GroupNodeProcess, line: string, ms = 20_000) =>
    until(async () => (texts(n).includes(line) ? true : undefined), ms, `reads ${line}`)

  beforeAll(async () => {
    a = await startGroupNode({ hold })
    ;[b, c, d, e] = (await Promise.all(
      Array.from({ length: 4 }, () => startGroupNode({ bootstrap: [a.address], hold })),
    )) as [GroupNodeProcess, GroupNodeProcess, GroupNodeProcess, GroupNodeProcess]
    for (const n of [a, b, c, d, e]) running.add(n)
    await until(
      async () => {
        const peers = await a.call<string[]>('peers')
        return [b, c, d, e].every((n) => peers.includes(n.peerId)) ? true : undefined
      },
      20_000,
      'every node connected to A',
    )
  }, 60_000)
  afterAll(async () => {
    await Promise.all([...running].map((n) => n.stop()))
  })

  test('a group of four: every message reaches every other member exactly once', async () => {
    const created = await a.call<{ groupId: string; topic: string }>('create')
    group = created.groupId
    expect(created.topic).toMatch(/^[0-9a-f]{64}$/)
    expect(created.topic).not.toContain(group)
    for (const n of [b, c, d]) await a.call('add', { group, peer: n.peerId })
    for (const n of [b, c, d]) await atEpoch(n, 3)
    expect((await info(d))?.members).toEqual([a.peerId, b.peerId, c.peerId, d.peerId])
    expect((await info(b))?.role).toBe('member')

    const four = [a, b, c, d]
    const line = (n: GroupNodeProcess) => `${n.peerId}:hello from ${n.peerId.slice(-4)}`
    for (const n of four) await n.call('publish', { group, text: `hello from ${n.peerId.slice(-4)}` })
    for (const n of four) for (const o of four) if (o !== n) await reads(n, line(o))
    await settle(1_000)
    for (const n of four)
      expect(texts(n).sort()).toEqual(
        four
          .filter((o) => o !== n)
          .map(line)
          .sort(),
      )
  })

  test('removing a member rotates the epoch; it learns so and cannot read the next message', async () => {
    const snapshot = await d.call<string>('snapshot', { group })
    const removed = await a.call<{ epoch: number }>('remove', { group, peer: d.peerId })
    expect(removed.epoch).toBe(4)
    await until(async () => (d.removed.includes(group) ? true : undefined), 20_000, 'D told it was removed')
    expect(await info(d)).toBeUndefined()
    for (const n of [b, c]) await atEpoch(n, 4)

    const before = texts(d).length
    await a.call('publish', { group, text: 'after D left' })
    for (const n of [b, c]) await reads(n, `${a.peerId}:after D left`)
    await settle(500)
    expect(texts(d).length).toBe(before)
    // D's last state (epoch 3) fed the ciphertext: a later epoch, whose keys it never got.
    const published = await a.call<{ topic: string; data: string }[]>('published')
    const last = published.at(-1) as { data: string }
    const tried = await d.call<{ code?: string; text?: string }>('tryDecrypt', {
      group,
      snapshot,
      data: last.data,
    })
    expect(tried).toEqual({ code: 'GROUP_EPOCH_MISMATCH' })
  })

  test('a member offline during two commits catches up in order, then reads new messages', async () => {
    await c.stop()
    running.delete(c)
    await a.call('add', { group, peer: e.peerId })
    expect((await a.call<{ epoch: number }>('update', { group })).epoch).toBe(6)
    await a.call('publish', { group, text: 'while C was away' })
    await atEpoch(e, 6)
    // Held: handed to C's DHT neighbours at once. Queued: kept by A until C is back.
    const pending = () => a.call<number>('pending', { peer: c.peerId })
    if (hold) await until(async () => ((await pending()) === 0 ? true : undefined), 20_000, 'all held')
    else expect(await pending()).toBe(3)

    c = await c.restart()
    running.add(c)
    await atEpoch(c, 6, 30_000)
    await reads(c, `${a.peerId}:while C was away`)
    await b.call('publish', { group, text: 'welcome back C' })
    for (const n of [a, c, e]) await reads(n, `${b.peerId}:welcome back C`)
    expect((await info(c))?.members).toEqual([a.peerId, b.peerId, c.peerId, e.peerId])
    await settle(500)
    expect(texts(c).filter((t) => t.endsWith('while C was away'))).toHaveLength(1)
  }, 90_000)
})
