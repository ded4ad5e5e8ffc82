import { inspect } from 'node:util'
import { fc, test } from '@fast-check/vitest'
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../src/core/errors.ts'
import {
  generateIdentity,
  identityFromSeed,
  type NodeIdentity,
  publicKeyFromPeerId,
  verifySignature,
  x25519PublicKeyFromEd25519,
} from '../../../src/crypto/identity.ts'

const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const message = fc.uint8Array({ maxLength: 2048 })
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof BridgeError) return err.code
    throw err
  }
  throw new Error('expected a BridgeError')
}

describe('identity', () => {
  test.prop([seed32], { numRuns: 30 })('public key and peer id are what libp2p derives', async (seed) => {
    const id = identityFromSeed(seed)
    expect(hex(id.publicKey)).toBe(hex(ed25519.getPublicKey(seed)))
    const libp2pKey = privateKeyFromRaw(new Uint8Array([...seed, ...id.publicKey]))
    expect(id.peerId).toBe(peerIdFromPrivateKey(libp2pKey).toString())
    const fromSeed = await generateKeyPairFromSeed('Ed25519', seed)
    expect(id.peerId).toBe(peerIdFromPrivateKey(fromSeed).toString())
    expect(id.peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/)
    // base58btc(identity multihash of the protobuf key), as docs/wire.md says
    const multihash = peerIdFromString(id.peerId).toMultihash().bytes
    expect(hex(multihash)).toBe(`002408011220${hex(id.publicKey)}`)
  })

  test('a key libp2p generated maps to the same identity', async () => {
    const key = await generateKeyPair('Ed25519')
    const id = identityFromSeed(key.raw.subarray(0, 32))
    expect(id.peerId).toBe(peerIdFromPrivateKey(key).toString())
  })

  test.prop([seed32], { numRuns: 30 })('X25519 keys are noble’s Edwards → Montgomery map', (seed) => {
    const id = identityFromSeed(seed)
    const secret = ed25519.utils.toMontgomerySecret(seed)
    expect(hex(id.x25519PublicKey)).toBe(hex(x25519.getPublicKey(secret)))
    expect(hex(id.x25519PublicKey)).toBe(hex(ed25519.utils.toMontgomery(id.publicKey)))
    expect(hex(x25519PublicKeyFromEd25519(id.publicKey))).toBe(hex(id.x25519PublicKey))
  })

  test('the X25519 exchange agrees whichever side computes it, native or noble', () => {
    const a = identityFromSeed(new Uint8Array(32).fill(1))
    const b = identityFromSeed(new Uint8Array(32).fill(2))
    const ab = x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(a.seed), b.x25519PublicKey)
    const ba = x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(b.seed), a.x25519PublicKey)
    expect(hex(ab)).toBe(hex(ba))
  })

  test('a bad seed length is refused with the length in the message', () => {
    expect(() => identityFromSeed(new Uint8Array(31))).toThrow(
      'seed: expected Uint8Array of length 32, got length=31',
    )
    expect(codeOf(() => identityFromSeed(new Uint8Array(33)))).toBe('CRYPTO_BAD_INPUT')
    expect(codeOf(() => identityFromSeed('x'.repeat(32) as unknown as Uint8Array))).toBe('CRYPTO_BAD_INPUT')
  })

  test('the seed is copied, and never shows in JSON or util.inspect', () => {
    const seed = new Uint8Array(32).fill(7)
    const id = identityFromSeed(seed)
    seed.fill(0)
    expect(hex(id.seed)).toBe('07'.repeat(32))
    expect(JSON.stringify(id)).toBe(JSON.stringify({ peerId: id.peerId }))
    expect(inspect(id)).toBe(`NodeIdentity { peerId: '${id.peerId}' }`)
    expect(Object.keys(id)).not.toContain('seed')
    expect(Object.isFrozen(id)).toBe(true)
  })

  test('generateIdentity makes distinct identities', () => {
    const a = generateIdentity()
    const b = generateIdentity()
    expect(a.peerId).not.toBe(b.peerId)
    expect(hex(identityFromSeed(a.seed).publicKey)).toBe(hex(a.publicKey))
  })
})

describe('signatures', () => {
  test.prop([seed32, message], { numRuns: 40 })(
    'native signatures verify with noble, and back',
    (seed, data) => {
      const id = identityFromSeed(seed)
      const signature = id.sign(data)
      expect(signature).toHaveLength(64)
      expect(signature.constructor).toBe(Uint8Array)
      expect(ed25519.verify(signature, data, id.publicKey)).toBe(true)
      expect(hex(signature)).toBe(hex(ed25519.sign(data, seed))) // Ed25519 is deterministic
      expect(verifySignature(id.publicKey, data, ed25519.sign(data, seed))).toBe(true)
    },
  )

  test.prop([seed32, message, fc.nat()], { numRuns: 40 })(
    'any flipped bit fails verification',
    (seed, data, n) => {
      const id = identityFromSeed(seed)
      const signature = id.sign(data)
      const bit = n % (64 * 8)
      const bad = Uint8Array.from(signature)
      bad[bit >> 3]! ^= 1 << (bit & 7)
      expect(verifySignature(id.publicKey, data, bad)).toBe(false)
      if (data.length > 0) {
        const other = Uint8Array.from(data)
        other[n % data.length]! ^= 1
        expect(verifySignature(id.publicKey, other, signature)).toBe(false)
      }
    },
  )

  test('a signature of the wrong length, or by another key, is simply invalid', () => {
    const id = identityFromSeed(new Uint8Array(32).fill(3))
    const other = identityFromSeed(new Uint8Array(32).fill(4))
    const data = new TextEncoder().encode('receipt')
    expect(verifySignature(id.publicKey, data, id.sign(data).subarray(0, 63))).toBe(false)
    expect(verifySignature(other.publicKey, data, id.sign(data))).toBe(false)
    expect(verifySignature(new Uint8Array(32).fill(0xff), data, id.sign(data))).toBe(false)
    expect(codeOf(() => verifySignature(new Uint8Array(31), data, id.sign(data)))).toBe('CRYPTO_BAD_INPUT')
  })
})

describe('peer ids', () => {
  test.prop([seed32], { numRuns: 30 })('publicKeyFromPeerId inverts the peer id', (seed) => {
    const id = identityFromSeed(seed)
    expect(hex(publicKeyFromPeerId(id.peerId))).toBe(hex(id.publicKey))
  })

  test('garbage is refused with a clear message', () => {
    expect(() => publicKeyFromPeerId('not-a-peer-id')).toThrow('not a libp2p peer id: "not-a-peer-id"')
    expect(codeOf(() => publicKeyFromPeerId(''))).toBe('PEER_ID_INVALID')
    expect(codeOf(() => publicKeyFromPeerId(42 as unknown as string))).toBe('PEER_ID_INVALID')
  })

  test('a secp256k1 peer id is refused as not Ed25519', async () => {
    const key = await generateKeyPair('secp256k1')
    const peerId = peerIdFromPrivateKey(key).toString()
    expect(() => publicKeyFromPeerId(peerId)).toThrow(/is of type secp256k1; Mainframe nodes use Ed25519/)
    expect(codeOf(() => publicKeyFromPeerId(peerId))).toBe('PEER_ID_NOT_ED25519')
  })

  test('X25519 conversion refuses keys that are not usable points', () => {
    const identityPoint = new Uint8Array(32)
    identityPoint[0] = 1 // y = 1: the neutral element, of small order
    expect(codeOf(() => x25519PublicKeyFromEd25519(identityPoint))).toBe('CRYPTO_INVALID_PUBLIC_KEY')
    expect(codeOf(() => x25519PublicKeyFromEd25519(new Uint8Array(32).fill(0xff)))).toBe(
      'CRYPTO_INVALID_PUBLIC_KEY',
    )
    expect(codeOf(() => x25519PublicKeyFromEd25519(new Uint8Array(5)))).toBe('CRYPTO_BAD_INPUT')
  })
})

describe('identity-shaped objects', () => {
  test('an object whose public key is not its seed’s is refused when used', async () => {
    const { seal } = await import('../../../src/crypto/sealed-box.ts')
    const real = identityFromSeed(new Uint8Array(32).fill(5))
    const fake: NodeIdentity = { ...real, seed: new Uint8Array(32).fill(6), sign: real.sign }
    expect(codeOf(() => seal(fake, real.publicKey, new Uint8Array(1)))).toBe('CRYPTO_IDENTITY_MISMATCH')
    const copy: NodeIdentity = { ...real, seed: real.seed, sign: real.sign }
    expect(seal(copy, real.publicKey, new Uint8Array(1))).toHaveLength(98)
  })
})
