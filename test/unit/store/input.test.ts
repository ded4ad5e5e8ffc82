import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../src/core/errors.ts'
import {
  checkExpectedVersion,
  checkInstant,
  checkScopes,
  checkText,
  expiryFor,
  newTokenId,
} from '../../../src/store/input.ts'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof BridgeError ? err.code : 'not a BridgeError'
  }
  return undefined
}

describe('store input checks', () => {
  test.prop([fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !s.includes('\0'))])(
    'checkText keeps any well-formed text without NUL',
    (s) => {
      expect(checkText('x', s)).toBe(s)
    },
  )

  test('checkText refuses empty (unless allowed), NUL, lone surrogates and non-strings', () => {
    expect(codeOf(() => checkText('x', ''))).toBe('STORE_INVALID_ARGUMENT')
    expect(checkText('x', '', true)).toBe('')
    for (const bad of ['a\0', '\uD83D', 'x\uDE00y', 42, null, undefined]) {
      expect(codeOf(() => checkText('x', bad))).toBe('STORE_INVALID_ARGUMENT')
    }
  })

  test('checkScopes keeps first-seen order, drops duplicates, refuses unknown and empty', () => {
    expect(checkScopes(['admin', 'read', 'admin'])).toEqual(['admin', 'read'])
    for (const bad of [[], ['write'], 'read', [1]]) {
      expect(codeOf(() => checkScopes(bad))).toBe('STORE_INVALID_ARGUMENT')
    }
  })

  test('checkExpectedVersion accepts undefined and integers >= 0 only', () => {
    expect(checkExpectedVersion(undefined)).toBeUndefined()
    expect(checkExpectedVersion(0)).toBe(0)
    expect(checkExpectedVersion(7)).toBe(7)
    for (const bad of [-1, 0.5, Number.NaN, '1', 2 ** 53]) {
      expect(codeOf(() => checkExpectedVersion(bad))).toBe('STORE_INVALID_ARGUMENT')
    }
  })

  test('expiryFor: none without ttl, an integer instant with one, refuses bad ttls', () => {
    expect(expiryFor(1000, undefined)).toBeNull()
    expect(expiryFor(1000, 1.2)).toBe(1002)
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER]) {
      expect(codeOf(() => expiryFor(1000, bad))).toBe('STORE_INVALID_ARGUMENT')
    }
  })

  test('checkInstant defaults to now and floors', () => {
    const before = Date.now()
    expect(checkInstant('now', undefined)).toBeGreaterThanOrEqual(before)
    expect(checkInstant('now', 12.9)).toBe(12)
    expect(codeOf(() => checkInstant('now', Number.NaN))).toBe('STORE_INVALID_ARGUMENT')
  })

  test('newTokenId is url-safe and random', () => {
    const ids = new Set(Array.from({ length: 1000 }, newTokenId))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })
})
