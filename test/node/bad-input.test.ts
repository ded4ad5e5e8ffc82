import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateIdentity, type NodeIdentity } from '../../src/crypto/identity.ts'
import { seal } from '../../src/crypto/sealed-box.ts'
import { chunkPlaintexts } from '../../src/node/direct/chunks.ts'
import { encodeFrame, MID_BYTES } from '../../src/node/direct/frames.ts'
import { DIRECT_PROTOCOL } from '../../src/node/direct/service.ts'
import { createHost, type Host } from '../../src/node/host.ts'
import { until } from '../helpers/bridge.ts'
import { type NodeProcess, startNodeProcess } from '../helpers/node-process.ts'

// The victim is a real node in its own process; the attacker a real libp2p host in this one,
// writing hand-made frames on the direct protocol.
let victim: NodeProcess
let friend: NodeProcess
let attacker: Host
let me: NodeIdentity

beforeAll(async () => {
  victim = await startNodeProcess()
  friend = await startNodeProcess({ bootstrap: [victim.address] })
  me = generateIdentity()
  attacker = await createHost(me, {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [victim.address],
    maxConnections: 20,
    privateAddresses: true,
    maxMessageBytes: 16 * 1024 * 1024,
  })
  // Before the bootstrap connection is up the victim has no known address here, and a dial
  // would wait for a DHT lookup that cannot succeed yet.
  await until(
    async () => (attacker.getConnections(peerIdFromString(victim.peerId)).length ? true : undefined),
    10_000,
    'connected to the victim',
  )
}, 60_000)
afterAll(async () => {
  await attacker?.stop()
  await Promise.all([victim?.stop(), friend?.stop()])
})

/** Writes `frames` on a fresh stream to the victim; returns what it answered (or null if it hung up). */
async function exchange(frames: Uint8Array[]): Promise<Uint8Array | null> {
  const stream = await attacker.dialProtocol(peerIdFromString(victim.peerId), DIRECT_PROTOCOL)
  const lp = lpStream(stream, { maxDataLength: 4 << 20 })
  try {
    for (const frame of frames) await lp.write(frame)
    return (await lp.read({ signal: AbortSignal.timeout(5000) })).subarray()
  } catch {
    return null
  } finally {
    stream.abort(new Error('done'))
  }
}

/** An envelope frame of a one-chunk message, sealed by `from` to `toKey`. */
function envelope(mid: Uint8Array, payload: Uint8Array, from: NodeIdentity, to: string): Uint8Array {
  const [plaintext] = chunkPlaintexts(mid, payload)
  return encodeFrame({
    type: 'envelope',
    mid,
    index: 0,
    count: 1,
    sealed: seal(from, to, plaintext as Uint8Array),
  })
}

async function dropped(reason: string): Promise<number> {
  const text = await victim.call<string>('metrics')
  const line = text
    .split('\n')
    .find((l) => l.startsWith('mfb_node_dropped_total{') && l.includes(`reason="${reason}"`))
  return line ? Number(line.split(' ').pop()) : 0
}

describe('bad input on /mainframe/msg/1.0.0 is dropped with a reason and a metric; the node keeps serving', () => {
  test('garbage frame', async () => {
    expect(await exchange([randomBytes(100)])).toBeNull()
    await until(async () => ((await dropped('DIRECT_FRAME_INVALID')) >= 1 ? true : undefined), 5000, 'metric')
  })

  test('truncated envelope', async () => {
    const whole = envelope(randomBytes(MID_BYTES), Buffer.from('hi'), me, victim.peerId)
    const before = await dropped('SEALED_BOX_MALFORMED')
    await exchange([whole.subarray(0, 2 + MID_BYTES + 8 + 40)])
    await until(
      async () => ((await dropped('SEALED_BOX_MALFORMED')) > before ? true : undefined),
      5000,
      'metric',
    )
  })

  test('an envelope sealed to another node', async () => {
    const before = await dropped('SEALED_BOX_AUTH_FAILED')
    await exchange([envelope(randomBytes(MID_BYTES), Buffer.from('not for you'), me, friend.peerId)])
    await until(
      async () => ((await dropped('SEALED_BOX_AUTH_FAILED')) > before ? true : undefined),
      5000,
      'metric',
    )
    expect(victim.received).toHaveLength(0)
  })

  test('a replayed envelope is receipted again but handed on once', async () => {
    const frame = envelope(randomBytes(MID_BYTES), Buffer.from('once'), me, victim.peerId)
    const first = await exchange([frame])
    const second = await exchange([frame])
    expect(first?.[1]).toBe(0x04) // receipts
    expect(second?.[1]).toBe(0x04)
    expect(victim.received.filter((m) => m.from === me.peerId)).toHaveLength(1)
    expect(await dropped('DIRECT_REPLAY')).toBe(1)
  })

  test('an oversize frame, and a message announcing more chunks than the size limit allows', async () => {
    await exchange([new Uint8Array(600 * 1024)])
    await until(
      async () => ((await dropped('DIRECT_FRAME_TOO_LARGE')) >= 1 ? true : undefined),
      5000,
      'oversize metric',
    )
    const mid = randomBytes(MID_BYTES)
    const [plaintext] = chunkPlaintexts(mid, Buffer.from('x'))
    const huge = encodeFrame({
      type: 'envelope',
      mid,
      index: 0,
      count: 1000,
      sealed: seal(me, victim.peerId, plaintext as Uint8Array),
    })
    const answer = await exchange([huge])
    expect(answer?.[1]).toBe(0x03) // reject
    expect(Buffer.from(answer as Uint8Array).toString('latin1')).toContain('NODE_MESSAGE_TOO_LARGE')
  })

  test('after all that, a real message still gets through with its receipt', async () => {
    const payload = Buffer.from('still serving').toString('hex')
    const receipt = await friend.call<{ recipient: string }>('send', { to: victim.peerId, payload })
    expect(receipt.recipient).toBe(victim.peerId)
    expect(victim.received.at(-1)).toMatchObject({ from: friend.peerId, payload })
  })
})
