import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { generateIdentity } from '../../../../src/crypto/identity.ts'
import {
  readHostedBy,
  recordKey,
  selectHostedBy,
  signHostedBy,
} from '../../../../src/node/identities/record.ts'

const identity = generateIdentity()
const hosts = [generateIdentity().peerId, generateIdentity().peerId]
const key = recordKey(identity.peerId)
const now = 1_800_000_000_000

function refused(run: () => unknown, detail?: string): void {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('NODE_RECORD_INVALID')
    if (detail) expect((err as BridgeError).shortMessage).toContain(detail)
    return
  }
  throw new Error('expected NODE_RECORD_INVALID')
}

describe('hosted-by record', () => {
  test('a signed record reads back: identity, hosts in order, times', () => {
    const record = signHostedBy(identity, hosts, now, now + 1000)
    expect(readHostedBy(key, record, now)).toEqual({
      identity: identity.peerId,
      hosts,
      issuedAt: now,
      expiresAt: now + 1000,
    })
  })

  test("says what is wrong: expired, another identity's key, forged signature, bad layout", () => {
    const record = signHostedBy(identity, hosts, now, now + 1000)
    refused(() => readHostedBy(key, record, now + 1000), 'expired')
    refused(() => readHostedBy(recordKey(generateIdentity().peerId), record, now), 'not for the identity')
    const forged = record.slice()
    forged[40] = (forged[40] as number) ^ 1 // issuedAt changed after signing
    refused(() => readHostedBy(key, forged, now), 'signature')
    refused(() => readHostedBy(key, record.subarray(0, record.length - 1), now), 'bytes')
    const version = record.slice()
    version[0] = 2
    refused(() => readHostedBy(key, version, now), 'version')
    // Someone else signing a record for this identity: the key check passes, the signature does not.
    const other = signHostedBy(generateIdentity(), hosts, now, now + 1000)
    other.set(identity.publicKey, 1)
    refused(() => readHostedBy(key, other, now), 'signature')
  })

  test.prop([fc.uint8Array({ maxLength: 400 })])(
    'random bytes are refused with NODE_RECORD_INVALID',
    (bytes) => {
      refused(() => readHostedBy(key, bytes, now))
    },
  )

  test.prop([fc.nat(), fc.integer({ min: 1, max: 255 })])('any flipped byte is refused', (at, flip) => {
    const record = signHostedBy(identity, hosts, now, now + 1000)
    const i = at % record.length
    record[i] = (record[i] as number) ^ flip
    refused(() => readHostedBy(key, record, now))
  })

  test('the selector picks the valid record issued last, never an invalid one', () => {
    const soon = Date.now()
    const older = signHostedBy(identity, [hosts[0] as string], soon - 2000, soon + 60_000)
    const newer = signHostedBy(identity, [hosts[1] as string], soon - 1000, soon + 60_000)
    const broken = newer.slice()
    broken[60] = (broken[60] as number) ^ 1
    expect(selectHostedBy(key, [older, newer])).toBe(1)
    expect(selectHostedBy(key, [newer, older])).toBe(0)
    expect(selectHostedBy(key, [older, broken])).toBe(0)
  })

  test('a record names 1 to 8 hosts', () => {
    expect(() => signHostedBy(identity, [], now, now + 1)).toThrow(/1 to 8 hosts/)
    const nine = Array.from({ length: 9 }, () => hosts[0] as string)
    expect(() => signHostedBy(identity, nine, now, now + 1)).toThrow(/1 to 8 hosts/)
  })
})
