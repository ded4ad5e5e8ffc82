import { hkdfSync, randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { generateIdentity } from '../../../../src/crypto/index.ts'
import { credentialMatchesKey, suite } from '../../../../src/node/groups/suite.ts'

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('the suite implementation', () => {
  test('HKDF-SHA256 gives RFC 5869 test case 1', async () => {
    const { kdf } = await suite()
    const prk = await kdf.extract(fromHex('000102030405060708090a0b0c'), new Uint8Array(22).fill(0x0b))
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5')
    const okm = await kdf.expand(prk, fromHex('f0f1f2f3f4f5f6f7f8f9'), 42)
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    )
  })

  test.prop([
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: 1, max: 200 }),
  ])('HKDF-SHA256 agrees with node:crypto for any salt, info and length', async (salt, info, length) => {
    const { kdf } = await suite()
    const ikm = randomBytes(32)
    const ours = await kdf.expand(await kdf.extract(salt, ikm), info, length)
    expect(toHex(ours)).toBe(toHex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))))
  })

  test('signs with the node identity, and a wrong-sized key is simply not valid', async () => {
    const { signature } = await suite()
    const me = generateIdentity()
    const message = new TextEncoder().encode('signed content')
    const signed = await signature.sign(Uint8Array.from(me.seed), message)
    expect(await signature.verify(me.publicKey, message, signed)).toBe(true)
    expect(await signature.verify(generateIdentity().publicKey, message, signed)).toBe(false)
    expect(await signature.verify(me.publicKey.subarray(1), message, signed)).toBe(false)
  })

  test('a credential is valid only when it is the 32-byte key that signs', () => {
    const key = generateIdentity().publicKey
    expect(credentialMatchesKey({ credentialType: 'basic', identity: key }, key)).toBe(true)
    expect(
      credentialMatchesKey({ credentialType: 'basic', identity: generateIdentity().publicKey }, key),
    ).toBe(false)
    expect(
      credentialMatchesKey({ credentialType: 'basic', identity: key.subarray(1) }, key.subarray(1)),
    ).toBe(false)
    expect(credentialMatchesKey({ credentialType: 'x509', certificates: [key] }, key)).toBe(false)
  })
})
