import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { sign, verify } from '../../../adapters/webhook/signature.ts'

const secret = fc.string({ minLength: 16, maxLength: 64 })
const body = fc.string({ maxLength: 2000, unit: 'grapheme' })
const now = fc.integer({ min: 1_600_000_000, max: 2_000_000_000 })

describe('webhook signatures', () => {
  test.prop([secret, body, now])('a signature verifies against its body and secret', (s, b, t) => {
    expect(verify(s, b, sign(s, b, t), t, 300)).toEqual({ ok: true })
  })

  test.prop([secret, body, body, now])('another body fails', (s, a, b, t) => {
    fc.pre(a !== b)
    expect(verify(s, b, sign(s, a, t), t, 300)).toEqual({
      ok: false,
      reason: 'signature does not match the body',
    })
  })

  test.prop([secret, secret, body, now])('another secret fails', (s1, s2, b, t) => {
    fc.pre(s1 !== s2)
    expect(verify(s2, b, sign(s1, b, t), t, 300).ok).toBe(false)
  })

  test.prop([secret, body, now, fc.integer({ min: 301, max: 100_000 })])(
    'outside the window fails (replay)',
    (s, b, t, skew) => {
      expect(verify(s, b, sign(s, b, t), t + skew, 300).ok).toBe(false)
      expect(verify(s, b, sign(s, b, t), t - skew, 300).ok).toBe(false)
    },
  )

  test.prop([secret, body, now, fc.string({ maxLength: 200 })])(
    'any header text is refused or verified, never a crash',
    (s, b, t, header) => {
      const verdict = verify(s, b, header, t, 300)
      expect(typeof verdict.ok).toBe('boolean')
    },
  )

  test('missing and malformed headers say what is wrong', () => {
    expect(verify('k'.repeat(16), 'x', undefined, 1, 300)).toEqual({
      ok: false,
      reason: 'missing x-mainframe-signature header',
    })
    expect(verify('k'.repeat(16), 'x', 'sha256=abc', 1, 300)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/malformed/),
    })
  })
})
