import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { identityFromSeed } from '../../../src/crypto/identity.ts'
import { open, seal } from '../../../src/crypto/sealed-box.ts'
import { referenceSeal } from './reference.ts'
import vectorFile from './vectors/sealed-box.json' with { type: 'json' }

type Vector = (typeof vectorFile.vectors)[number]
const vectors: Vector[] = vectorFile.vectors
const bytes = (hexText: string) => new Uint8Array(Buffer.from(hexText, 'hex'))
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')

/** Doc label → JSON field, as test/unit/crypto/vectors/generate.ts writes them. */
const LABELS: Record<string, keyof Vector> = {
  sender_seed: 'senderSeed',
  recipient_seed: 'recipientSeed',
  ephemeral_secret: 'ephemeralSecret',
  plaintext: 'plaintext',
  sender_public_key: 'senderPublicKey',
  sender_peer_id: 'senderPeerId',
  recipient_public_key: 'recipientPublicKey',
  recipient_x25519: 'recipientX25519PublicKey',
  ephemeral_public: 'ephemeralPublicKey',
  ss1: 'ss1',
  ss2: 'ss2',
  sender_key_nonce: 'senderKeyNonce',
  content_key_nonce: 'contentKeyNonce',
  box: 'box',
}

/** The vectors as docs/wire.md prints them, in section "Sealed box (v1)". */
function vectorsFromDoc(): { name: string; fields: Record<string, string> }[] {
  const doc = readFileSync(new URL('../../../docs/wire.md', import.meta.url), 'utf8')
  const start = doc.indexOf('\n## Sealed box (v1)\n')
  expect(start).toBeGreaterThan(-1)
  const end = doc.indexOf('\n## ', start + 1)
  const section = doc.slice(start, end === -1 ? undefined : end)
  const found: { name: string; fields: Record<string, string> }[] = []
  const pattern = /^#### Vector \d+: (.+)\n\n```text\n([\s\S]*?)```/gm
  for (const match of section.matchAll(pattern)) {
    const fields: Record<string, string> = {}
    let current = ''
    for (const line of match[2]!.split('\n')) {
      if (line.trim() === '') continue
      const label = /^(\w+)(?:\s+(\S+))?$/.exec(line)
      if (label) {
        current = label[1]!
        fields[current] = label[2] ?? ''
      } else {
        const more = /^\s+([0-9a-f]+)$/.exec(line)
        expect(more, `unexpected line in vector "${match[1]}": ${line}`).not.toBeNull()
        fields[current] += more![1]!
      }
    }
    found.push({ name: match[1]!, fields })
  }
  return found
}

describe('sealed box test vectors', () => {
  test('there are at least three: empty, short text, 1 KiB', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(3)
    expect(vectors.map((v) => v.plaintext.length / 2)).toEqual(expect.arrayContaining([0, 16, 1024]))
  })

  test.each(vectors.map((v) => [v.name, v] as const))('%s: both backends seal exactly the vector', (_, v) => {
    const sender = identityFromSeed(bytes(v.senderSeed))
    const recipient = identityFromSeed(bytes(v.recipientSeed))
    expect(hex(sender.publicKey)).toBe(v.senderPublicKey)
    expect(sender.peerId).toBe(v.senderPeerId)
    expect(hex(recipient.publicKey)).toBe(v.recipientPublicKey)
    expect(hex(recipient.x25519PublicKey)).toBe(v.recipientX25519PublicKey)
    for (const backend of ['native', 'noble'] as const) {
      const box = seal(sender, recipient.publicKey, bytes(v.plaintext), {
        ephemeralSecret: bytes(v.ephemeralSecret),
        backend,
      })
      expect(hex(box)).toBe(v.box)
    }
  })

  test.each(vectors.map((v) => [v.name, v] as const))('%s: both backends open the vector', (_, v) => {
    const recipient = identityFromSeed(bytes(v.recipientSeed))
    for (const backend of ['native', 'noble'] as const) {
      const opened = open(recipient, bytes(v.box), { backend })
      expect(hex(opened.plaintext)).toBe(v.plaintext)
      expect(hex(opened.senderPublicKey)).toBe(v.senderPublicKey)
      expect(opened.senderPeerId).toBe(v.senderPeerId)
    }
  })

  test.each(vectors.map((v) => [v.name, v] as const))(
    '%s: an independent noble-only computation agrees, step by step',
    (_, v) => {
      const ref = referenceSeal(
        bytes(v.senderSeed),
        bytes(v.recipientPublicKey),
        bytes(v.ephemeralSecret),
        bytes(v.plaintext),
      )
      expect(hex(ref.senderPublicKey)).toBe(v.senderPublicKey)
      expect(hex(ref.recipientX25519PublicKey)).toBe(v.recipientX25519PublicKey)
      expect(hex(ref.ephemeralPublicKey)).toBe(v.ephemeralPublicKey)
      expect(hex(ref.ss1)).toBe(v.ss1)
      expect(hex(ref.ss2)).toBe(v.ss2)
      expect(hex(ref.senderKeyNonce)).toBe(v.senderKeyNonce)
      expect(hex(ref.contentKeyNonce)).toBe(v.contentKeyNonce)
      expect(hex(ref.box)).toBe(v.box)
      // The layout of docs/wire.md
      const box = bytes(v.box)
      expect(box[0]).toBe(1)
      expect(hex(box.subarray(1, 33))).toBe(v.ephemeralPublicKey)
      expect(box.length).toBe(v.plaintext.length / 2 + 97)
    },
  )

  test('docs/wire.md prints exactly the vectors of sealed-box.json', () => {
    const fromDoc = vectorsFromDoc()
    expect(fromDoc.map((d) => d.name)).toEqual(vectors.map((v) => v.name))
    fromDoc.forEach((d, i) => {
      const v = vectors[i]!
      expect(Object.keys(d.fields).sort()).toEqual(Object.keys(LABELS).sort())
      for (const [label, field] of Object.entries(LABELS)) {
        expect(d.fields[label], `${d.name}: ${label}`).toBe(v[field])
      }
    })
  })
})
