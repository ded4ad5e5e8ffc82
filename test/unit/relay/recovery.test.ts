import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import type { Adapter } from '../../../src/adapter.ts'
import { messageId } from '../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../src/core/message.ts'
import { createLogger } from '../../../src/log/logger.ts'
import { openQueue, type QueueDriver } from '../../../src/queue/index.ts'
import { conversationKey, targetKey } from '../../../src/relay/keys.ts'
import { createRelay, type Relay } from '../../../src/relay/pipeline.ts'
import type { Link, Store } from '../../../src/store/port.ts'
import { openSqliteStore } from '../../../src/store/sqlite/index.ts'
import { until } from '../../helpers/bridge.ts'

const open: { relay?: Relay; queue?: QueueDriver; store?: Store }[] = []
afterEach(async () => {
  for (const { relay, queue, store } of open.splice(0)) {
    await relay?.stop(1000)
    await queue?.close()
    await store?.close()
  }
})

function message(native: string): BridgeMessage {
  return {
    kind: 'text',
    id: messageId('test', native),
    origin: { network: 'test', nativeId: native, sender: 'mailto:alice@example.com' },
    conversation: { network: 'test', id: 'room' },
    timestamp: Date.now(),
    body: { text: native },
    attachments: [],
  }
}

/** A target adapter that records what it was given. */
function sink(): Adapter & { seen: string[] } {
  const seen: string[] = []
  return {
    seen,
    network: 'sink',
    capabilities: { kinds: new Set(['text']), html: false, maxBytes: 1 << 20 },
    start: async () => {},
    deliver: async (msg) => {
      seen.push(msg.id)
      return { deliveredAt: Date.now() }
    },
    stop: async () => {},
  }
}

/** A real SQLite store and queue in a fresh directory, with one link test/room → sink/out. */
async function setup(): Promise<{
  store: Store
  queue: QueueDriver
  link: Link
  adapter: ReturnType<typeof sink>
}> {
  const dir = mkdtempSync(join(tmpdir(), 'mfb-recovery-'))
  const store = await openSqliteStore({ path: join(dir, 'bridge.db') })
  await store.migrate()
  const queue = await openQueue({ driver: 'sqlite', sqlite: { path: join(dir, 'queue.db') } })
  open.push({ queue, store })
  const link = await store.links.create({
    name: 'recovery',
    endpoints: [
      { network: 'test', address: 'room', direction: 'out', options: {} },
      { network: 'sink', address: 'out', direction: 'in', options: {} },
    ],
  })
  return { store, queue, link, adapter: sink() }
}

function relayOver(store: Store, queue: QueueDriver, adapter: Adapter, sweepIntervalMs = 60_000): Relay {
  const relay = createRelay({
    store,
    links: store.links,
    queue,
    adapters: new Map([['sink', adapter]]),
    log: createLogger({ level: 'silent' }),
    processId: 'test',
    options: {
      attempts: 3,
      backoff: { baseMs: 50, maxMs: 200 },
      concurrency: { route: 4, deliver: 4 },
      deliveryTimeoutMs: 5000,
      sweepIntervalMs,
    },
  })
  open.push({ relay })
  return relay
}

describe('routing recovery (real SQLite store and queue)', () => {
  test('messages a crash left persisted but unrouted are routed and delivered by the sweep at start', async () => {
    const { store, queue, link, adapter } = await setup()
    // Crash after the insert, before any plan:
    const bare = message('bare')
    await store.messages.insert(bare, 'test')
    // Crash after the route transaction, before the deliver jobs were added:
    const planned = message('planned')
    await store.transaction(async (tx) => {
      await tx.messages.insert(planned, 'test')
      await tx.deliveries.createMany(planned.id, conversationKey(planned.conversation), [
        { targetKey: targetKey(link.id, 'sink', 'out'), linkId: link.id, network: 'sink', address: 'out' },
      ])
    })
    expect(await store.messages.countIngested()).toBe(2)

    // The sweep takes messages unrouted for longer than its interval: make them old enough.
    await new Promise((r) => setTimeout(r, 1100))
    const relay = relayOver(store, queue, adapter, 1000)
    await relay.start()
    await until(async () => (adapter.seen.length === 2 ? true : undefined), 10_000, 'both delivered')
    expect(adapter.seen.sort()).toEqual([bare.id, planned.id].sort())
    expect(await store.messages.countIngested()).toBe(0)
    expect((await relay.counts()).route.waiting).toBe(0)
    for (const m of [bare, planned]) {
      const [delivery] = await store.deliveries.listByMessage(m.id)
      expect(delivery?.state).toBe('delivered')
    }
  })

  test('a queue that refuses the jobs fails the ingest (not acknowledged); the retry of the same message finishes it', async () => {
    const { store, queue, adapter } = await setup()
    const relay = relayOver(store, queue, adapter)
    await relay.start()
    // Fault injection on the real queue: its add fails as it would with Redis unreachable.
    const add = queue.add.bind(queue)
    queue.add = async () => {
      throw Object.assign(new Error('queue down'), { code: 'QUEUE_UNAVAILABLE' })
    }
    const msg = message('retried')
    await expect(relay.ingest(msg, 'test')).rejects.toThrow('queue down')
    expect((await store.messages.get(msg.id))?.state).toBe('ingested')
    expect((await relay.counts()).route.waiting).toBe(1)

    queue.add = add
    expect(await relay.ingest(msg, 'test')).toEqual({ id: msg.id, duplicate: true })
    expect((await store.messages.get(msg.id))?.state).toBe('routed')
    await until(async () => (adapter.seen.length === 1 ? true : undefined), 10_000, 'delivered')
    expect(adapter.seen).toEqual([msg.id])
    // Once routed, the same message again is a duplicate that changes nothing.
    expect(await relay.ingest(msg, 'test')).toEqual({ id: msg.id, duplicate: true })
    await new Promise((r) => setTimeout(r, 300))
    expect(adapter.seen).toEqual([msg.id])
  })
})
