/**
 * Regenerates sealed-box.json and prints the "Test vectors" block of docs/wire.md:
 *   node test/unit/crypto/vectors/generate.ts > /tmp/vectors.md
 * The vectors are frozen: regenerate only for a new wire version.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { identityFromSeed } from '../../../../src/crypto/identity.ts'
import { seal } from '../../../../src/crypto/sealed-box.ts'
import { referenceSeal } from '../reference.ts'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const range = (start: number, length: number) => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff)

const cases = [
  { name: 'empty plaintext', ephemeralSecret: range(0x40, 32), plaintext: new Uint8Array(0) },
  {
    name: 'short text',
    ephemeralSecret: range(0x60, 32),
    plaintext: new TextEncoder().encode('hello, mainframe'),
  },
  { name: '1 KiB pattern (byte i = i mod 256)', ephemeralSecret: range(0x80, 32), plaintext: range(0, 1024) },
]

const senderSeed = range(0x00, 32)
const recipientSeed = range(0x20, 32)
const sender = identityFromSeed(senderSeed)
const recipient = identityFromSeed(recipientSeed)

const vectors = cases.map((c) => {
  const box = seal(sender, recipient.publicKey, c.plaintext, { ephemeralSecret: c.ephemeralSecret })
  const ref = referenceSeal(senderSeed, recipient.publicKey, c.ephemeralSecret, c.plaintext)
  if (hex(ref.box) !== hex(box)) throw new Error(`implementation and reference disagree on "${c.name}"`)
  return {
    name: c.name,
    senderSeed: hex(senderSeed),
    recipientSeed: hex(recipientSeed),
    ephemeralSecret: hex(c.ephemeralSecret),
    plaintext: hex(c.plaintext),
    senderPublicKey: hex(sender.publicKey),
    senderPeerId: sender.peerId,
    recipientPublicKey: hex(recipient.publicKey),
    recipientX25519PublicKey: hex(recipient.x25519PublicKey),
    ephemeralPublicKey: hex(ref.ephemeralPublicKey),
    ss1: hex(ref.ss1),
    ss2: hex(ref.ss2),
    senderKeyNonce: hex(ref.senderKeyNonce),
    contentKeyNonce: hex(ref.contentKeyNonce),
    box: hex(box),
  }
})

const json = { version: 1, description: 'Sealed box v1 test vectors; see docs/wire.md', vectors }
writeFileSync(
  fileURLToPath(new URL('./sealed-box.json', import.meta.url)),
  `${JSON.stringify(json, null, 2)}\n`,
)

const FIELDS: [keyof (typeof vectors)[number], string][] = [
  ['senderSeed', 'sender_seed'],
  ['recipientSeed', 'recipient_seed'],
  ['ephemeralSecret', 'ephemeral_secret'],
  ['plaintext', 'plaintext'],
  ['senderPublicKey', 'sender_public_key'],
  ['senderPeerId', 'sender_peer_id'],
  ['recipientPublicKey', 'recipient_public_key'],
  ['recipientX25519PublicKey', 'recipient_x25519'],
  ['ephemeralPublicKey', 'ephemeral_public'],
  ['ss1', 'ss1'],
  ['ss2', 'ss2'],
  ['senderKeyNonce', 'sender_key_nonce'],
  ['contentKeyNonce', 'content_key_nonce'],
  ['box', 'box'],
]
const out: string[] = []
vectors.forEach((v, i) => {
  out.push(`#### Vector ${i + 1}: ${v.name}`, '', '```text')
  for (const [key, label] of FIELDS) {
    const value = v[key]
    const chunks = value.match(/.{1,64}/g) ?? ['']
    out.push(`${label.padEnd(22)}${chunks[0]}`.trimEnd())
    for (const chunk of chunks.slice(1)) out.push(`${' '.repeat(22)}${chunk}`)
  }
  out.push('```', '')
})
console.log(out.join('\n'))
