/**
 * bench:crypto — sealed box (seal + open) against the least any public-key sealed box can do,
 * measured in the same run.
 *
 * Baseline, per message: the sender generates an ephemeral X25519 key pair natively, exports
 * its 32-byte public key, runs one X25519 with the recipient's key and one native
 * ChaCha20-Poly1305 encryption, and joins key ‖ ciphertext ‖ tag into one message; the
 * recipient imports those 32 bytes, runs one X25519 and one decryption. The baseline gets
 * the same node:crypto fast paths as ours (secret keys as KeyObjects, public keys imported
 * from a PEM string — see src/crypto/native-keys.ts), so the ratio measures the sealed
 * sender, not calling conventions. Ours adds, on each side: a second (cached) static–static
 * exchange, two HKDF-SHA256, two HChaCha20, the AAD, and the 48-byte sender layer.
 *
 * Last line: `crypto: ratio <ours/baseline at 64 KiB, median> (target >= 0.7)`.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { generateIdentity, open, seal } from '../src/crypto/index.ts'

const ROUNDS = 7
const SIZES = [1024, 64 * 1024] as const
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex')
const pem = (raw: Uint8Array) =>
  `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([X25519_SPKI, raw]).toString('base64')}\n-----END PUBLIC KEY-----\n`

const sender = generateIdentity()
const recipient = generateIdentity()
const recipientX = generateKeyPairSync('x25519')

function rawPublic(key: KeyObject): Buffer {
  try {
    return key.export({ format: 'raw-public' })
  } catch {
    return key.export({ format: 'der', type: 'spki' }).subarray(12)
  }
}

function ours(message: Uint8Array, backend: 'native' | 'noble' = 'native'): void {
  const box = seal(sender, recipient.publicKey, message, { backend })
  const opened = open(recipient, box, { backend })
  if (opened.plaintext.length !== message.length) throw new Error('round trip failed')
}

const nonce = Buffer.alloc(12)
function baseline(message: Uint8Array): void {
  // sender
  const ephemeral = generateKeyPairSync('x25519')
  const ephemeralPublic = rawPublic(ephemeral.publicKey)
  const k1 = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientX.publicKey })
  const cipher = createCipheriv('chacha20-poly1305', createSecretKey(k1), nonce, { authTagLength: 16 })
  const body = cipher.update(message)
  cipher.final()
  const wire = Buffer.concat([ephemeralPublic, body, cipher.getAuthTag()]) // one message, as any box
  // recipient
  const theirs = createPublicKey(pem(wire.subarray(0, 32)))
  const k2 = diffieHellman({ privateKey: recipientX.privateKey, publicKey: theirs })
  const decipher = createDecipheriv('chacha20-poly1305', createSecretKey(k2), nonce, { authTagLength: 16 })
  decipher.setAuthTag(wire.subarray(wire.length - 16))
  const plain = decipher.update(wire.subarray(32, wire.length - 16))
  decipher.final()
  if (plain.length !== message.length) throw new Error('round trip failed')
}

/** ops/s of `n` calls. */
function measure(fn: () => void, n: number): number {
  const start = performance.now()
  for (let i = 0; i < n; i++) fn()
  return n / ((performance.now() - start) / 1000)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * Rounds of `n` iterations; each iteration times one of ours and one baseline, alternating
 * which goes first, so a busy neighbour or a GC pause falls on both alike. A round's ops/s
 * is n over the summed time of its calls; the medians are taken over the rounds.
 */
function compare(message: Uint8Array, n: number): { ours: number; baseline: number; ratio: number } {
  for (let i = 0; i < n; i++) {
    ours(message)
    baseline(message)
  }
  const a: number[] = []
  const b: number[] = []
  const ratios: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    let oursTime = 0
    let baseTime = 0
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      if (i % 2 === 0) ours(message)
      else baseline(message)
      const t1 = performance.now()
      if (i % 2 === 0) baseline(message)
      else ours(message)
      const t2 = performance.now()
      oursTime += i % 2 === 0 ? t1 - t0 : t2 - t1
      baseTime += i % 2 === 0 ? t2 - t1 : t1 - t0
    }
    a.push(n / (oursTime / 1000))
    b.push(n / (baseTime / 1000))
    ratios.push(baseTime / oursTime)
  }
  return { ours: median(a), baseline: median(b), ratio: median(ratios) }
}

const fmt = (opsPerSecond: number) => `${Math.round(opsPerSecond).toLocaleString('en-US').padStart(6)} ops/s`
const label = (size: number) => `${size / 1024} KiB`.padEnd(6)

const load = loadavg()[0]!.toFixed(2)
console.log(
  `crypto: node ${process.version}, ${availableParallelism()} CPUs, load ${load}; seal+open, ${ROUNDS} rounds, medians`,
)
let ratio64 = 0
for (const size of SIZES) {
  const message = randomBytes(size)
  const result = compare(message, size >= 65536 ? 300 : 600)
  const us = (opsPerSecond: number) => `${(1e6 / opsPerSecond).toFixed(0)} µs`
  console.log(
    `seal+open ${label(size)} ours ${fmt(result.ours)} (${us(result.ours)})  ` +
      `baseline ${fmt(result.baseline)} (${us(result.baseline)})  ratio ${result.ratio.toFixed(2)}`,
  )
  if (size === 65536) ratio64 = result.ratio
}
for (const size of SIZES) {
  const message = randomBytes(size)
  ours(message, 'noble')
  const rates = [0, 1, 2].map(() => measure(() => ours(message, 'noble'), 10))
  console.log(`seal+open ${label(size)} noble backend (reference) ${fmt(median(rates))}`)
}
console.log(`crypto: ratio ${ratio64.toFixed(2)} (target >= 0.7)`)
