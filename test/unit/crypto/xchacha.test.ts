import { fc, test } from '@fast-check/vitest'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { describe, expect } from 'vitest'
import { Lru } from '../../../src/crypto/lru.ts'
import { xchachaDecrypt, xchachaEncrypt } from '../../../src/crypto/xchacha.ts'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const nonce = fc.uint8Array({ minLength: 24, maxLength: 24 })
const aad = fc.uint8Array({ maxLength: 100 })
const data = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 0, max: 70_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff)),
)

describe('XChaCha20-Poly1305 (HChaCha20 from noble + native ChaCha20-Poly1305)', () => {
  test.prop([key, nonce, aad, data], { numRuns: 80 })(
    'matches noble byte for byte, both ways',
    (k, n, a, m) => {
      const ours = xchachaEncrypt(k, n, a, m)
      expect(hex(ours)).toBe(hex(xchacha20poly1305(k, n, a).encrypt(m)))
      expect(hex(xchachaDecrypt(k, n, a, ours))).toBe(hex(m))
    },
  )

  test.prop([key, nonce, aad, fc.uint8Array({ maxLength: 100 }), fc.nat()], { numRuns: 80 })(
    'a flipped bit of ciphertext or AAD, or another nonce, fails',
    (k, n, a, m, i) => {
      const sealed = xchachaEncrypt(k, n, a, m)
      const bit = i % (sealed.length * 8)
      const altered = Uint8Array.from(sealed)
      altered[bit >> 3]! ^= 1 << (bit & 7)
      expect(() => xchachaDecrypt(k, n, a, altered)).toThrow()
      const n2 = Uint8Array.from(n)
      n2[i % 24]! ^= 1
      expect(() => xchachaDecrypt(k, n2, a, sealed)).toThrow()
      if (a.length > 0) {
        const a2 = Uint8Array.from(a)
        a2[i % a.length]! ^= 1
        expect(() => xchachaDecrypt(k, n, a2, sealed)).toThrow()
      }
    },
  )

  test('the draft-irtf-cfrg-xchacha-03 A.3.1 vector', () => {
    const k = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex')
    const n = Buffer.from('404142434445464748494a4b4c4d4e4f5051525354555657', 'hex')
    const a = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex')
    const m = Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    )
    const expected =
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49'
    expect(hex(xchachaEncrypt(k, n, a, m))).toBe(expected)
  })

  test('a sealed input shorter than its tag fails', () => {
    expect(() =>
      xchachaDecrypt(new Uint8Array(32), new Uint8Array(24), new Uint8Array(0), new Uint8Array(15)),
    ).toThrow()
  })
})

describe('Lru', () => {
  test('keeps the most recently used entries up to its capacity', () => {
    const lru = new Lru<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1) // a is now the newest
    lru.set('c', 3) // evicts b
    expect(lru.get('b')).toBeUndefined()
    expect(lru.get('a')).toBe(1)
    expect(lru.get('c')).toBe(3)
    expect(lru.size).toBe(2)
    expect(lru.get('c')).toBe(3) // already the newest: order unchanged
    lru.set('d', 4) // evicts a, the oldest
    expect(lru.get('a')).toBeUndefined()
    expect(lru.get('c')).toBe(3)
    lru.clear()
    expect(lru.size).toBe(0)
    expect(() => new Lru(0)).toThrow('capacity must be >= 1, got 0')
  })
})
