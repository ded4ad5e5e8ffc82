import { randomBytes } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { generateIdentity, type NodeIdentity } from '../../../../src/crypto/identity.ts'
import { createLogger } from '../../../../src/log/logger.ts'
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from '../../../../src/node/direct/frames.ts'
import { signReceipts, verifyReceipt } from '../../../../src/node/direct/receipt.ts'
import { DIRECT_PROTOCOL, DirectMessages, type InboundDirect } from '../../../../src/node/direct/service.ts'
import { createHost, type Host } from '../../../../src/node/host.ts'
import { noNodeMetrics } from '../../../../src/node/metrics.ts'

// Two real libp2p hosts in this process: the sender's side of /mainframe/msg/1.0.0 against a
// real recipient, and against a hand-made one that answers with receipts that must not pass.

const log = createLogger({ level: 'silent' })
const hosts: Host[] = []

async function direct(identity: NodeIdentity): Promise<DirectMessages & { host: Host }> {
  const host = await createHost(identity, {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    maxConnections: 20,
    privateAddresses: true,
    maxMessageBytes: 16 * 1024 * 1024,
  })
  hosts.push(host)
  const seen = new Set<string>()
  const messages = new DirectMessages(
    {
      host,
      identity,
      log,
      metrics: noNodeMetrics,
      seen: {
        has: async (mid) => seen.has(Buffer.from(mid).toString('hex')),
        add: async (mid) => void seen.add(Buffer.from(mid).toString('hex')),
      },
    },
    { maxMessageBytes: 1 << 20, timeoutMs: 10_000 },
  )
  return Object.assign(messages, { host })
}

const [aliceId, bobId, malloryId] = [generateIdentity(), generateIdentity(), generateIdentity()]
let alice: Awaited<ReturnType<typeof direct>>
let bob: Awaited<ReturnType<typeof direct>>
let mallory: Host
const got: InboundDirect[] = []
let refuse: (m: InboundDirect) => boolean = () => false
/** How Mallory answers each envelope, made of its mid. */
let malloryAnswers: (mid: Uint8Array) => Uint8Array = () => new Uint8Array(0)

beforeAll(async () => {
  ;[alice, bob] = await Promise.all([direct(aliceId), direct(bobId)])
  await bob.start(async (message) => {
    if (refuse(message)) throw new BridgeError('NODE_NOT_READY', 'not now', { retryable: true })
    got.push(message)
  })
  mallory = (await direct(malloryId)).host
  await mallory.handle(DIRECT_PROTOCOL, async (stream) => {
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    try {
      for (;;) {
        const frame = decodeFrame((await lp.read()).subarray())
        if (frame.type === 'envelope') await lp.write(malloryAnswers(frame.mid))
      }
    } catch {
      stream.abort(new Error('done'))
    }
  })
  await alice.host.dial(bob.host.getMultiaddrs()[0]!)
  await alice.host.dial(mallory.getMultiaddrs()[0]!)
}, 30_000)
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()))
})

describe('direct messages: batched receipts', () => {
  test('many messages in flight: each is handed on once, in order, and gets a receipt that verifies', async () => {
    got.length = 0
    const payloads = Array.from({ length: 40 }, (_, i) => Uint8Array.of(1, i))
    const receipts = await Promise.all(payloads.map((p) => alice.send(bobId.peerId, p)))
    expect(got.map((m) => m.payload[1])).toEqual(payloads.map((p) => p[1]))
    expect(got.every((m) => m.from === aliceId.peerId)).toBe(true)
    receipts.forEach((receipt, i) => {
      expect(receipt.mid).toEqual(got[i]?.mid)
      expect(receipt.recipient).toBe(bobId.peerId)
      expect(receipt.mids.some((m) => Buffer.from(m).equals(receipt.mid))).toBe(true)
      expect(verifyReceipt(receipt, aliceId.publicKey)).toBe(true)
    })
    // Sent together, they were answered together: fewer signatures than messages.
    const signatures = new Set(receipts.map((r) => Buffer.from(r.signature).toString('hex')))
    expect(signatures.size).toBeLessThan(receipts.length)
  })

  test('a message that cannot be handed on is rejected; those around it still get receipts', async () => {
    got.length = 0
    refuse = (m) => m.payload[1] === 5
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => alice.send(bobId.peerId, Uint8Array.of(1, i))),
      )
      expect(results.map((r) => r.status)).toEqual(
        Array.from({ length: 10 }, (_, i) => (i === 5 ? 'rejected' : 'fulfilled')),
      )
      const reason = (results[5] as PromiseRejectedResult).reason as BridgeError
      expect([reason.code, reason.retryable]).toEqual(['DIRECT_REJECTED', true])
      expect(got.map((m) => m.payload[1])).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9])
    } finally {
      refuse = () => false
    }
  })

  test('a retry with the same mid is receipted again but handed on once', async () => {
    got.length = 0
    const mid = randomBytes(32)
    const [first, second] = [
      await alice.send(bobId.peerId, Uint8Array.of(1, 7), { mid }),
      await alice.send(bobId.peerId, Uint8Array.of(1, 7), { mid }),
    ]
    expect(got).toHaveLength(1)
    expect(verifyReceipt(first, aliceId.publicKey) && verifyReceipt(second, aliceId.publicKey)).toBe(true)
  })
})

describe('direct messages: receipts that do not prove delivery are refused', () => {
  /** Sends Mallory a message that she answers with `answer`; returns the sender's error. */
  async function answering(answer: (mid: Uint8Array) => Uint8Array): Promise<BridgeError> {
    malloryAnswers = answer
    const err = await alice.send(malloryId.peerId, Uint8Array.of(1, 0)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(BridgeError)
    return err as BridgeError
  }
  const receipts = (mids: Uint8Array[], signature: Uint8Array) =>
    encodeFrame({ type: 'receipts', mids, deliveredAt: Date.now(), signature })

  test('signed by another key than the recipient’s', async () => {
    const err = await answering((mid) =>
      receipts([mid], signReceipts(bobId, [mid], aliceId.publicKey, Date.now())),
    )
    expect(err.code).toBe('DIRECT_RECEIPT_INVALID')
  })

  test('signed for another sender, or over other ids than the ones it lists', async () => {
    const now = Date.now()
    const forBob = await answering((mid) =>
      encodeFrame({
        type: 'receipts',
        mids: [mid],
        deliveredAt: now,
        signature: signReceipts(malloryId, [mid], bobId.publicKey, now),
      }),
    )
    expect(forBob.code).toBe('DIRECT_RECEIPT_INVALID')
    const other = randomBytes(32)
    const swapped = await answering((mid) =>
      encodeFrame({
        type: 'receipts',
        mids: [mid],
        deliveredAt: now,
        signature: signReceipts(malloryId, [other], aliceId.publicKey, now),
      }),
    )
    expect(swapped.code).toBe('DIRECT_RECEIPT_INVALID')
  })
})
