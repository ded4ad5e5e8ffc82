import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { messageId } from '../../../src/core/ids.ts'
import { senderAllowed } from '../../../src/relay/acl.ts'
import { conversationKey, deliverJobId, parseDeliverJobId, targetKey } from '../../../src/relay/keys.ts'
import { RateLimiter } from '../../../src/relay/rate-limit.ts'

describe('sender ACL', () => {
  test('null allows all; exact URIs and * patterns', () => {
    expect(senderAllowed(null, 'mailto:a@example.com')).toBe(true)
    expect(senderAllowed([], 'mailto:a@example.com')).toBe(false)
    expect(senderAllowed(['matrix:@*:example.com'], 'matrix:@bob:example.com')).toBe(true)
    expect(senderAllowed(['matrix:@*:example.com'], 'matrix:@bob:evil.com')).toBe(false)
    expect(senderAllowed(['matrix:@*:example.com'], 'matrix:@bob:example.com.evil.com')).toBe(false)
    expect(senderAllowed(['mailto:a@example.com'], 'mailto:a@example.com')).toBe(true)
    expect(senderAllowed(['mailto:a.b@example.com'], 'mailto:aXb@example.com')).toBe(false)
  })
})

describe('rate limit', () => {
  test('a burst up to the rate passes, the rest is delayed (not dropped) by the refill time', () => {
    let now = 0
    const limiter = new RateLimiter(() => now)
    const waits = Array.from({ length: 65 }, () => limiter.reserve('alice', 60))
    expect(waits.slice(0, 60).every((w) => w === 0)).toBe(true)
    expect(waits.slice(60)).toEqual([1000, 2000, 3000, 4000, 5000])
    now = 60_000
    expect(limiter.reserve('alice', 60)).toBe(0)
    expect(limiter.reserve('bob', 60)).toBe(0)
  })
})

describe('pipeline keys', () => {
  test.prop([fc.string({ minLength: 1 }), fc.string({ minLength: 1 })])(
    'job ids are safe BullMQ ids and parse back',
    (native, address) => {
      const id = messageId('webhook', native)
      const key = targetKey('l1', 'webhook', address)
      const job = deliverJobId(id, key)
      expect(job).not.toContain(':')
      expect(job).not.toMatch(/^\d+$/)
      expect(parseDeliverJobId(job)).toEqual({ messageId: id, targetKey: key })
      expect(parseDeliverJobId(id)).toBeUndefined()
    },
  )

  test.prop([fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/), fc.string({ minLength: 1 })])(
    'conversation keys split back into network and id (network names have no "/")',
    (network, id) => {
      const key = conversationKey({ network, id })
      const slash = key.indexOf('/')
      expect([key.slice(0, slash), key.slice(slash + 1)]).toEqual([network, id])
    },
  )
})
