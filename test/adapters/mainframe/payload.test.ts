import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fc, test } from '@fast-check/vitest'
import { Hono } from 'hono'
import { describe, expect } from 'vitest'
import { mainframe, type NodePort } from '../../../adapters/mainframe/index.ts'
import { decodePayload, encodePayload } from '../../../adapters/mainframe/payload.ts'
import type { AdapterContext } from '../../../src/adapter.ts'
import { BridgeError } from '../../../src/core/errors.ts'
import { messageId } from '../../../src/core/ids.ts'
import type { BridgeMessage } from '../../../src/core/message.ts'
import { generateIdentity, identityFromSeed } from '../../../src/crypto/identity.ts'
import { createLogger } from '../../../src/log/logger.ts'
import { openSqliteStore } from '../../../src/store/sqlite/index.ts'

const message = fc
  .record({
    native: fc.string({ minLength: 1, maxLength: 40 }),
    text: fc.string({ maxLength: 500 }),
    html: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
  })
  .map(
    ({ native, text, html }): BridgeMessage => ({
      kind: 'text',
      id: messageId('matrix', native),
      origin: { network: 'matrix', nativeId: native, sender: 'matrix:@alice:example.com' },
      conversation: { network: 'matrix', id: '!room:example.com' },
      timestamp: 1_700_000_000_000,
      body: html === undefined ? { text } : { text, html },
      attachments: [],
    }),
  )

/** A media message with 1 to 4 random files, each carried or not. */
const media = fc
  .record({
    native: fc.string({ minLength: 1, maxLength: 40 }),
    caption: fc.string({ maxLength: 100 }),
    files: fc.array(
      fc.record({
        bytes: fc.uint8Array({ maxLength: 2048 }),
        name: fc.string({ minLength: 1, maxLength: 30 }),
        mediaType: fc.constantFrom('image/png', 'application/pdf', 'video/mp4'),
        carried: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ native, caption, files }) => {
    const message: BridgeMessage = {
      kind: 'media',
      id: messageId('matrix', native),
      origin: { network: 'matrix', nativeId: native, sender: 'matrix:@alice:example.com' },
      conversation: { network: 'matrix', id: '!room:example.com' },
      timestamp: 1_700_000_000_000,
      body: { text: caption },
      attachments: files.map((f) => ({
        hash: createHash('sha256').update(f.bytes).digest('hex'),
        name: f.name,
        mediaType: f.mediaType,
        size: f.bytes.length,
      })),
    }
    return { message, files: files.map((f) => (f.carried ? f.bytes : undefined)) }
  })

function expectInvalid(bytes: Uint8Array, detail?: string): void {
  try {
    decodePayload(bytes, () => 'peer:12D3KooWnode')
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('MAINFRAME_PAYLOAD_INVALID')
    if (detail) expect((err as BridgeError).shortMessage).toContain(detail)
    return
  }
  throw new Error('expected MAINFRAME_PAYLOAD_INVALID')
}

describe('bridged message payload', () => {
  test.prop([message])('round-trips every message', (m) => {
    expect(decodePayload(encodePayload(m), () => 'peer:x')).toEqual({ message: m })
  })

  const speaker = generateIdentity()
  const recipient = generateIdentity().peerId
  const group = `group:${'ab'.repeat(32)}`

  test.prop([message, fc.boolean(), fc.boolean()])(
    'a signed payload round-trips with its speaker and recipient',
    (m, speaks, addressed) => {
      const parties = {
        ...(speaks ? { speaker } : {}),
        ...(addressed ? { recipient } : {}),
        context: group,
      }
      const decoded = decodePayload(encodePayload(m, parties), () => group)
      expect(decoded.message).toEqual(m)
      expect(decoded.speaker).toBe(speaks ? speaker.peerId : undefined)
      expect(decoded.recipient).toBe(addressed ? recipient : undefined)
    },
  )

  test.prop([message])('a signed message does not verify in another context (no replay elsewhere)', (m) => {
    const bytes = encodePayload(m, { speaker, context: group })
    expectInvalid(bytes.slice(), 'signature does not verify')
    expect(() => decodePayload(bytes, () => `group:${'cd'.repeat(32)}`)).toThrow(/signature does not verify/)
  })

  test.prop([message, fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'any flipped byte of a signed payload is refused',
    (m, at, flip) => {
      const bytes = encodePayload(m, { speaker, recipient, context: `peer:${recipient}` })
      const i = at % bytes.length
      bytes[i] = (bytes[i] as number) ^ flip
      expect(() => decodePayload(bytes, (r) => `peer:${r ?? 'none'}`)).toThrow(BridgeError)
    },
  )

  test.prop([fc.uint8Array({ maxLength: 300 })])(
    "random bytes after the signed form's first byte give MAINFRAME_PAYLOAD_INVALID",
    (bytes) => {
      expectInvalid(Uint8Array.of(3, ...bytes))
    },
  )

  test.prop([fc.uint8Array({ maxLength: 300 })])(
    'random bytes give MAINFRAME_PAYLOAD_INVALID, nothing else',
    (bytes) => {
      expectInvalid(bytes)
    },
  )

  test('says what was wrong', () => {
    expectInvalid(Uint8Array.of(2, 0x7b, 0x7d), 'unknown payload version 0x02')
    expectInvalid(Uint8Array.of(3, 8, 0x7b, 0x7d), 'unknown payload flags')
    expectInvalid(Uint8Array.of(3, 4, 0, 0), 'ends inside the JSON length')
    expectInvalid(Uint8Array.of(3, 4, 0, 0, 0, 9, 0x7b), 'ends inside the JSON')
    expectInvalid(Uint8Array.of(3, 1, 9, 9), 'ends inside the speaker key')
    expectInvalid(Uint8Array.of(1, 0xff, 0xfe), 'not UTF-8 JSON')
    expectInvalid(Uint8Array.of(1, ...new TextEncoder().encode('{"kind":"reaction"}')), 'not a valid message')
  })

  test.prop([media, fc.boolean(), fc.boolean()])(
    'a message with attachments round-trips with their bytes, signed or not',
    ({ message: m, files }, speaks, addressed) => {
      const parties = {
        ...(speaks ? { speaker } : {}),
        ...(addressed ? { recipient } : {}),
        context: group,
      }
      const bytes = encodePayload(m, parties, files)
      expect(bytes[0]).toBe(3)
      expect((bytes[1] as number) & 0b100).toBe(0b100)
      const decoded = decodePayload(bytes, () => group)
      expect(decoded.message).toEqual(m)
      expect(decoded.files).toEqual(files)
      expect(decoded.speaker).toBe(speaks ? speaker.peerId : undefined)
      expect(decoded.recipient).toBe(addressed ? recipient : undefined)
    },
  )

  test.prop([media, fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'any flipped byte of a signed payload with attachments is refused',
    ({ message: m, files }, at, flip) => {
      const bytes = encodePayload(m, { speaker, context: group }, files)
      const i = at % bytes.length
      bytes[i] = (bytes[i] as number) ^ flip
      expect(() => decodePayload(bytes, () => group)).toThrow(BridgeError)
    },
  )

  test.prop([
    media.filter(({ files }) => files.some((f) => f !== undefined && f.length > 0)),
    fc.nat(),
    fc.integer({ min: 1, max: 255 }),
  ])(
    'unsigned, a flipped byte of a file is refused: it is checked against its SHA-256',
    ({ message: m, files }, at, flip) => {
      const bytes = encodePayload(m, {}, files)
      const json = new DataView(bytes.buffer).getUint32(2)
      const start = 2 + 4 + json
      const i = start + (at % (bytes.length - start))
      bytes[i] = (bytes[i] as number) ^ flip
      expectInvalid(bytes)
    },
  )

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.constantFrom(4, 5, 6, 7)])(
    'random bytes after the attachment flag give MAINFRAME_PAYLOAD_INVALID',
    (bytes, flags) => {
      expectInvalid(Uint8Array.of(3, flags, ...bytes))
    },
  )

  test('attachments must be the files their entries name, one section each', () => {
    const file = new TextEncoder().encode('a picture')
    const other = new TextEncoder().encode('another picture')
    const m: BridgeMessage = {
      kind: 'media',
      id: messageId('matrix', '$pic'),
      origin: { network: 'matrix', nativeId: '$pic', sender: 'matrix:@alice:example.com' },
      conversation: { network: 'matrix', id: '!room:example.com' },
      timestamp: 1_700_000_000_000,
      body: { text: '' },
      attachments: [
        {
          hash: createHash('sha256').update(file).digest('hex'),
          name: 'pic.png',
          mediaType: 'image/png',
          size: file.length,
        },
      ],
    }
    // The sender refuses to send bytes that are not the file named.
    expect(() => encodePayload(m, {}, [other])).toThrow(/not the file its entry names/)
    expect(() => encodePayload(m, {}, [])).toThrow(/0 attachment bytes given for 1/)
    // Without bytes the message still goes, the file absent (length FFFFFFFF).
    const absent = encodePayload(m)
    expect([...absent.subarray(-4)]).toEqual([0xff, 0xff, 0xff, 0xff])
    expect(decodePayload(absent, () => 'peer:x').files).toEqual([undefined])
    const good = encodePayload(m, {}, [file])
    expect(decodePayload(good, () => 'peer:x').files).toEqual([file])
    // A swapped file, a missing section, an extra one, trailing bytes: refused.
    const json = new TextEncoder().encode(JSON.stringify(m))
    const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)
    const framed = (...sections: Uint8Array[]) =>
      Uint8Array.from([3, 4, ...u32(json.length), ...json, ...sections.flatMap((s) => [...s])])
    expectInvalid(framed(u32(other.length), other), 'SHA-256 or size differ')
    expectInvalid(framed(), '0 attachment sections for 1 attachments')
    expectInvalid(framed(u32(file.length), file, u32(0xffffffff)), '2 attachment sections for 1')
    expectInvalid(framed(u32(file.length + 1), file), 'ends inside attachment 0')
    expectInvalid(framed(u32(file.length), file, Uint8Array.of(1)), 'ends inside the length of attachment 1')
    expect(decodePayload(framed(u32(file.length), file), () => 'peer:x').files).toEqual([file])
    // Flag 2 on a message without attachments is refused.
    const text = { ...m, kind: 'text' as const, attachments: [] }
    const plain = new TextEncoder().encode(JSON.stringify(text))
    expectInvalid(Uint8Array.from([3, 4, ...u32(plain.length), ...plain]), 'no attachments')
    // A message without attachments keeps the forms it had.
    expect(encodePayload(text)[0]).toBe(1)
  })

  test('the vector of docs/wire.md: encoding gives its bytes, and they decode with the file', () => {
    const doc = readFileSync(new URL('../../../docs/wire.md', import.meta.url), 'utf8')
    const section =
      /^#### Vector: payload with an attachment\n[\s\S]*?```json\n([\s\S]*?)\n```\n\n```text\n([\s\S]*?)```/m.exec(
        doc,
      )
    expect(section, 'docs/wire.md has the payload vector').not.toBeNull()
    const m = JSON.parse(section![1]!) as BridgeMessage
    const hex = section![2]!.replace(/^payload/, '').replace(/\s+/g, '')
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i)
    const context = `group:${'ab'.repeat(32)}`
    const file = new TextEncoder().encode('hi')
    const bytes = encodePayload(m, { speaker: identityFromSeed(seed), context }, [file])
    expect(Buffer.from(bytes).toString('hex')).toBe(hex)
    const decoded = decodePayload(bytes, () => context)
    expect(decoded).toEqual({ message: m, speaker: identityFromSeed(seed).peerId, files: [file] })
  })
})

describe('the mainframe adapter carries files inside the sealed message', () => {
  const file = new Uint8Array(5000).map((_, i) => (i * 7) & 255)
  const hash = createHash('sha256').update(file).digest('hex')
  const media = (size = file.length): BridgeMessage => ({
    kind: 'media',
    id: messageId('webhook', 'f1'),
    origin: { network: 'webhook', nativeId: 'f1', sender: `mf:${generateIdentity().peerId}` },
    conversation: { network: 'webhook', id: 'app' },
    timestamp: 1_700_000_000_000,
    body: { text: 'the file' },
    attachments: [{ hash, name: 'f.bin', mediaType: 'application/octet-stream', size }],
  })
  const components = {
    log: createLogger({ level: 'silent' }),
    links: { get: async () => undefined, findByEndpoint: async () => [] },
    messages: { origin: async () => undefined },
  }
  const context = (ingest: AdapterContext['ingest']): AdapterContext => ({
    ingest,
    routes: new Hono(),
    specRoutes: new Hono(),
    signal: new AbortController().signal,
  })
  const target = (address: string) => ({ linkId: 'l', network: 'mainframe', address, options: {} })

  test('deliver reads the bytes from the blob store; the receiver checks and stores them, then ingests', async () => {
    const [sending, receiving] = [
      await openSqliteStore({ path: ':memory:' }),
      await openSqliteStore({ path: ':memory:' }),
    ]
    await sending.migrate()
    await receiving.migrate()
    await sending.blobs.put(file, 'application/octet-stream')
    const [from, to] = [generateIdentity().peerId, generateIdentity().peerId]
    let onDirect: Parameters<NodePort['onDirect']>[0]
    const sent: Uint8Array[] = []
    const node = (peerId: string): NodePort => ({
      peerId,
      maxMessageBytes: 16 * 1024 * 1024,
      send: async (_peer, payload) => {
        sent.push(payload)
        return { kind: 'delivered', receipt: { deliveredAt: 1 } }
      },
      onDirect: (handler) => {
        if (peerId === to) onDirect = handler
      },
    })
    const a = mainframe(node(from), undefined, undefined, sending.blobs)(components)
    const b = mainframe(node(to), undefined, undefined, receiving.blobs)(components)
    const ingested: BridgeMessage[] = []
    await b.start(
      context(async (msg) => {
        // Stored before the message enters the pipeline.
        expect(await receiving.blobs.has([hash])).toEqual(new Set([hash]))
        ingested.push(msg)
        return { id: msg.id, duplicate: false }
      }),
    )
    await a.deliver(media(), target(to), new AbortController().signal)
    expect(sent).toHaveLength(1)
    await onDirect!({ mid: new Uint8Array(32), from, payload: sent[0]! })
    expect(ingested[0]?.attachments).toEqual(media().attachments)
    expect((await receiving.blobs.get(hash))?.bytes).toEqual(file)
    await Promise.all([sending.close(), receiving.close()])
  })

  test('a payload over node.max_message_bytes fails at deliver, not retried, before anything is sent', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    await store.migrate()
    await store.blobs.put(file, 'application/octet-stream')
    let sends = 0
    const node: NodePort = {
      peerId: generateIdentity().peerId,
      maxMessageBytes: 4096,
      send: async () => {
        sends++
        return { kind: 'delivered', receipt: { deliveredAt: 1 } }
      },
      onDirect: () => {},
    }
    const adapter = mainframe(node, undefined, undefined, store.blobs)(components)
    const err = await adapter
      .deliver(media(), target(generateIdentity().peerId), new AbortController().signal)
      .catch((e) => e)
    expect(err).toBeInstanceOf(BridgeError)
    expect(err).toMatchObject({ code: 'MAINFRAME_PAYLOAD_TOO_LARGE', retryable: false, status: 413 })
    expect(err.shortMessage).toMatch(/the limit is 4,096/)
    expect(sends).toBe(0)
    // A file the store does not have goes without its bytes, within the limit.
    await store.blobs.deleteBefore(Date.now() + 1)
    await adapter.deliver(media(), target(generateIdentity().peerId), new AbortController().signal)
    expect(sends).toBe(1)
    await store.close()
  })
})
