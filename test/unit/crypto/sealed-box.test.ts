import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../src/core/errors.ts'
import { identityFromSeed } from '../../../src/crypto/identity.ts'
import { clearStaticCache } from '../../../src/crypto/native.ts'
import { open, SEALED_BOX_OVERHEAD, seal } from '../../../src/crypto/sealed-box.ts'
import { referenceSeal } from './reference.ts'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

/** Bytes of any length up to 70 KiB, filled from a seed (fast-check builds big arrays slowly). */
const bytesUpTo70KiB = fc
  .tuple(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 70 * 1024 })), fc.integer())
  .map(([length, seed]) => pattern(length, seed))

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function errorOf(fn: () => unknown): BridgeError {
  try {
    fn()
  } catch (err) {
    if (err instanceof BridgeError) return err
    throw err
  }
  throw new Error('expected a BridgeError')
}

const alice = identityFromSeed(new Uint8Array(32).fill(0xa1))
const bob = identityFromSeed(new Uint8Array(32).fill(0xb0))
const carol = identityFromSeed(new Uint8Array(32).fill(0xc4))

describe('sealed box', () => {
  test.prop([bytesUpTo70KiB], { numRuns: 60 })('open(seal(m)) returns m and the sender', (message) => {
    const box = seal(alice, bob.publicKey, message)
    expect(box).toHaveLength(message.length + SEALED_BOX_OVERHEAD)
    const opened = open(bob, box)
    expect(hex(opened.plaintext)).toBe(hex(message))
    expect(opened.plaintext.constructor).toBe(Uint8Array)
    expect(hex(opened.senderPublicKey)).toBe(hex(alice.publicKey))
    expect(opened.senderPeerId).toBe(alice.peerId)
  })

  test.prop([seed32, seed32, fc.uint8Array({ maxLength: 300 })], { numRuns: 20 })(
    'works between any two identities, and to oneself',
    (a, b, message) => {
      const sender = identityFromSeed(a)
      const recipient = identityFromSeed(b)
      expect(hex(open(recipient, seal(sender, recipient.publicKey, message)).plaintext)).toBe(hex(message))
      expect(open(sender, seal(sender, sender.publicKey, message)).senderPeerId).toBe(sender.peerId)
    },
  )

  test('the recipient may be given by peer id', () => {
    const opened = open(bob, seal(alice, bob.peerId, new TextEncoder().encode('by peer id')))
    expect(new TextDecoder().decode(opened.plaintext)).toBe('by peer id')
  })

  test('two boxes of the same message differ (fresh ephemeral key)', () => {
    const m = new Uint8Array(10)
    expect(hex(seal(alice, bob.publicKey, m))).not.toBe(hex(seal(alice, bob.publicKey, m)))
  })

  test('works again after the static-secret cache is cleared', () => {
    const box = seal(alice, bob.publicKey, new Uint8Array([1, 2, 3]))
    clearStaticCache()
    expect(Array.from(open(bob, box).plaintext)).toEqual([1, 2, 3])
  })
})

describe('sealed box: tampering', () => {
  test.prop([fc.uint8Array({ maxLength: 200 }), fc.nat()], { numRuns: 300 })(
    'any single flipped bit fails with SEALED_BOX_AUTH_FAILED or SEALED_BOX_MALFORMED',
    (message, n) => {
      const box = seal(alice, bob.publicKey, message)
      const bit = n % (box.length * 8)
      box[bit >> 3]! ^= 1 << (bit & 7)
      const err = errorOf(() => open(bob, box))
      expect(err.code).toBe(bit < 8 ? 'SEALED_BOX_MALFORMED' : 'SEALED_BOX_AUTH_FAILED')
      expect(err.status).toBe(400)
    },
  )

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.nat()], { numRuns: 100 })(
    'truncation fails: malformed below 97 bytes, unauthentic above',
    (message, n) => {
      const box = seal(alice, bob.publicKey, message)
      const length = n % box.length
      const err = errorOf(() => open(bob, box.subarray(0, length)))
      expect(err.code).toBe(length < SEALED_BOX_OVERHEAD ? 'SEALED_BOX_MALFORMED' : 'SEALED_BOX_AUTH_FAILED')
    },
  )

  test('appended bytes fail authentication', () => {
    const box = seal(alice, bob.publicKey, new Uint8Array(5))
    expect(errorOf(() => open(bob, new Uint8Array([...box, 0]))).code).toBe('SEALED_BOX_AUTH_FAILED')
  })

  test('a box for another recipient fails authentication, with the documented message', () => {
    const err = errorOf(() => open(carol, seal(alice, bob.publicKey, new Uint8Array(8))))
    expect(err.code).toBe('SEALED_BOX_AUTH_FAILED')
    expect(err.shortMessage).toBe(
      'sealed box failed authentication: it was altered, or not sealed for this node',
    )
    expect(err.status).toBe(400)
  })

  test('malformed boxes name the length or version seen', () => {
    expect(errorOf(() => open(bob, new Uint8Array(10).fill(1))).shortMessage).toBe(
      'sealed box too short: expected at least 97 bytes, got length=10',
    )
    expect(errorOf(() => open(bob, new Uint8Array(0))).shortMessage).toBe(
      'sealed box too short: expected at least 97 bytes, got length=0',
    )
    const box = seal(alice, bob.publicKey, new Uint8Array(3))
    box[0] = 2
    const err = errorOf(() => open(bob, box))
    expect(err.code).toBe('SEALED_BOX_MALFORMED')
    expect(err.shortMessage).toBe('unknown sealed box version 0x02: this build reads version 0x01')
  })

  test('error messages carry no key material or plaintext', () => {
    const secret = new TextEncoder().encode('top secret plaintext')
    const box = seal(alice, bob.publicKey, secret)
    box[box.length - 1]! ^= 1
    const err = errorOf(() => open(bob, box))
    const text = `${err.message} ${JSON.stringify(err.toJSON())}`
    for (const value of [alice.seed, bob.seed, alice.publicKey, bob.publicKey, box.subarray(1, 33)]) {
      expect(text).not.toContain(hex(value))
      expect(text).not.toContain(Buffer.from(value).toString('base64'))
    }
    expect(text).not.toContain('top secret')
  })
})

describe('sealed box: low-order and invalid keys', () => {
  // u = 0 and u = 1 are low-order X25519 points; y = 1 is the Ed25519 neutral element.
  const lowOrderU = [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))]

  test.each(['native', 'noble'] as const)('a low-order ephemeral key is refused (%s)', (backend) => {
    for (const u of lowOrderU) {
      const box = new Uint8Array(SEALED_BOX_OVERHEAD)
      box[0] = 1
      box.set(u, 1)
      const err = errorOf(() => open(bob, box, { backend }))
      expect(err.code).toBe('SEALED_BOX_MALFORMED')
      expect(err.shortMessage).toBe('sealed box ephemeral key is a low-order X25519 point')
    }
  })

  test.each(['native', 'noble'] as const)(
    'sealing to a small-order or invalid key is refused (%s)',
    (backend) => {
      const neutral = lowOrderU[1]!
      expect(errorOf(() => seal(alice, neutral, new Uint8Array(1), { backend })).code).toBe(
        'CRYPTO_INVALID_PUBLIC_KEY',
      )
      expect(
        errorOf(() => seal(alice, new Uint8Array(32).fill(0xff), new Uint8Array(1), { backend })).code,
      ).toBe('CRYPTO_INVALID_PUBLIC_KEY')
      expect(
        errorOf(() => seal(alice, new Uint8Array(31), new Uint8Array(1), { backend })).shortMessage,
      ).toBe('recipientPublicKey: expected Uint8Array of length 32, got length=31')
    },
  )

  test.each(['native', 'noble'] as const)('a layer 1 naming an unusable sender key fails (%s)', (backend) => {
    // Layer 1 is only keyed by the ephemeral exchange: anyone can put any key there.
    const neutral = lowOrderU[1]!
    const crafted = referenceSeal(
      alice.seed,
      bob.publicKey,
      new Uint8Array(32).fill(9),
      new Uint8Array(4),
      neutral,
      new Uint8Array(32),
    )
    const err = errorOf(() => open(bob, crafted.box, { backend }))
    expect(err.code).toBe('SEALED_BOX_AUTH_FAILED')
    expect(err.shortMessage).toBe('sealed box failed authentication: its sender key is not usable')
  })

  test('claiming another sender in layer 1 does not authenticate', () => {
    // Mallory knows the ephemeral secret but not Alice's key: she uses her own static secret.
    const mallory = identityFromSeed(new Uint8Array(32).fill(0x66))
    const crafted = referenceSeal(
      mallory.seed,
      bob.publicKey,
      new Uint8Array(32).fill(8),
      new Uint8Array(4),
      alice.publicKey,
    )
    expect(errorOf(() => open(bob, crafted.box)).code).toBe('SEALED_BOX_AUTH_FAILED')
  })
})

describe('sealed box: backends', () => {
  test.prop([bytesUpTo70KiB, seed32], { numRuns: 15 })(
    'native and noble give identical bytes and open each other’s boxes',
    (message, ephemeralSecret) => {
      const native = seal(alice, bob.publicKey, message, { ephemeralSecret, backend: 'native' })
      const noble = seal(alice, bob.publicKey, message, { ephemeralSecret, backend: 'noble' })
      expect(hex(native)).toBe(hex(noble))
      expect(hex(native)).toBe(hex(referenceSeal(alice.seed, bob.publicKey, ephemeralSecret, message).box))
      const random = seal(alice, bob.publicKey, message, { backend: 'native' })
      expect(hex(open(bob, random, { backend: 'noble' }).plaintext)).toBe(hex(message))
      const random2 = seal(alice, bob.publicKey, message, { backend: 'noble' })
      expect(hex(open(bob, random2, { backend: 'native' }).plaintext)).toBe(hex(message))
    },
  )

  test('an unknown backend is refused', () => {
    const err = errorOf(() => seal(alice, bob.publicKey, new Uint8Array(1), { backend: 'wasm' as 'native' }))
    expect(err.code).toBe('CRYPTO_UNKNOWN_BACKEND')
  })

  test('a bad ephemeral secret length is refused', () => {
    const err = errorOf(() =>
      seal(alice, bob.publicKey, new Uint8Array(1), { ephemeralSecret: new Uint8Array(16) }),
    )
    expect(err.shortMessage).toBe('ephemeralSecret: expected Uint8Array of length 32, got length=16')
  })
})
