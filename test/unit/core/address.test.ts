import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { type Address, formatAddress, parseAddress, toChecksumAddress } from '../../../src/core/address.ts'
import { BridgeError } from '../../../src/core/errors.ts'

const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const atext = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+/=?^_{|}~-'.split(''),
)
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/).filter((s) => s.length > 0)

const address: fc.Arbitrary<Address> = fc.oneof(
  fc
    .string({ unit: fc.constantFrom(...base58.split('')), minLength: 44, maxLength: 44 })
    .map((tail) => ({ network: 'mainframe' as const, peerId: `12D3KooW${tail}` })),
  fc.record({
    network: fc.constant('matrix' as const),
    sigil: fc.constantFrom('@' as const, '!' as const, '#' as const),
    localpart: fc.stringMatching(/^[a-z0-9._=/-]{1,30}$/),
    server: fc.tuple(label, label).map(([a, b]) => `${a}.${b}`),
  }),
  fc.record({
    network: fc.constant('email' as const),
    local: fc
      .array(fc.string({ unit: atext, minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 3 })
      .map((p) => p.join('.')),
    domain: fc.tuple(label, label).map(([a, b]) => `${a}.${b}`),
  }),
  fc.record({
    network: fc.constant('evm' as const),
    chainId: fc.bigInt({ min: 1n, max: 10n ** 30n }).map(String),
    address: fc
      .uint8Array({ minLength: 20, maxLength: 20 })
      .map((b) => `0x${Buffer.from(b).toString('hex')}`),
  }),
)

describe('address URIs', () => {
  test.prop([address])('parse(format(a)) equals a', (a) => {
    expect(parseAddress(formatAddress(a))).toEqual(a)
  })

  test.prop([address])('format(parse(s)) equals s for canonical s', (a) => {
    const s = formatAddress(a)
    expect(formatAddress(parseAddress(s))).toBe(s)
  })

  test.prop([fc.string({ maxLength: 200 })])('arbitrary text parses or fails with ADDRESS_INVALID', (s) => {
    try {
      const a = parseAddress(s)
      expect(typeof formatAddress(a)).toBe('string')
    } catch (err) {
      expect(err).toBeInstanceOf(BridgeError)
      expect((err as BridgeError).code).toBe('ADDRESS_INVALID')
    }
  })

  test('known examples', () => {
    expect(parseAddress('matrix:@alice:example.com')).toEqual({
      network: 'matrix',
      sigil: '@',
      localpart: 'alice',
      server: 'example.com',
    })
    expect(parseAddress('matrix:!abc:localhost:8448')).toMatchObject({ server: 'localhost:8448' })
    expect(parseAddress('mailto:bob@Example.COM')).toEqual({
      network: 'email',
      local: 'bob',
      domain: 'example.com',
    })
    const mft = parseAddress('eip155:1:0xDF2C7238198Ad8B389666574f2d8bc411A4b7428')
    expect(mft).toEqual({
      network: 'evm',
      chainId: '1',
      address: '0xdf2c7238198ad8b389666574f2d8bc411a4b7428',
    })
    expect(formatAddress(mft)).toBe('eip155:1:0xDF2C7238198Ad8B389666574f2d8bc411A4b7428')
  })

  test('EIP-55 vectors', () => {
    // From EIP-55 itself.
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ])
      expect(toChecksumAddress(a.toLowerCase())).toBe(a)
  })

  test.each([
    ['no scheme', 'alice@example.com', /no scheme/],
    ['unknown scheme', 'xmpp:alice@example.com', /scheme "xmpp"/],
    ['bad peer id', 'mf:hello', /peer id/],
    ['matrix without server', 'matrix:@alice', /@user:server/],
    ['mail without domain', 'mailto:alice', /local@domain/],
    ['bad checksum', 'eip155:1:0xDF2C7238198Ad8B389666574f2d8bc411A4b7429'.replace('DF', 'dF'), /checksum/],
    ['chain id zero', 'eip155:0:0xdf2c7238198ad8b389666574f2d8bc411a4b7428', /chain id "0"/],
    ['short address', 'eip155:1:0x1234', /40 hex digits/],
  ])('rejects %s with a message saying why', (_name, input, why) => {
    expect(() => parseAddress(input)).toThrow(why)
  })
})
