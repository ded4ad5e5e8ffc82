import { describe, expect, test } from 'vitest'
import { grants } from '../../../src/api/auth.ts'
import { generateToken, hashToken } from '../../../src/api/tokens.ts'

describe('scopes', () => {
  test('admin implies send and read; send implies read; read is only read', () => {
    expect(grants(['admin'], 'send')).toBe(true)
    expect(grants(['admin'], 'read')).toBe(true)
    expect(grants(['send'], 'read')).toBe(true)
    expect(grants(['send'], 'admin')).toBe(false)
    expect(grants(['read'], 'send')).toBe(false)
    expect(grants([], 'read')).toBe(false)
  })

  test('tokens are long, random, prefixed; only their digest is stored', () => {
    const a = generateToken()
    expect(a).toMatch(/^mfb_[A-Za-z0-9_-]{43}$/)
    expect(generateToken()).not.toBe(a)
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/)
    expect(hashToken(a)).not.toContain(a.slice(4))
  })
})
