import { describe, expect, test } from 'vitest'
import { BridgeError } from '../../../src/core/errors.ts'
import { checkLinkPatch, diagnosticText, jsonObjectText, newLinkId } from '../../../src/store/relay-input.ts'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof BridgeError ? err.code : 'not a BridgeError'
  }
  return undefined
}

describe('relay input checks', () => {
  test('newLinkId is l + 20 hex digits, random', () => {
    const ids = new Set(Array.from({ length: 1000 }, newLinkId))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^l[0-9a-f]{20}$/)
  })

  test('jsonObjectText keeps plain data, null-prototype objects included, and refuses the rest', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: [1, 'x', null, true] })
    expect(jsonObjectText('o', bare)).toBe('{"a":[1,"x",null,true]}')
    expect(jsonObjectText('o', { s: 'a\0\uD800' })).toBe('{"s":"a\\u0000\\ud800"}')
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is being refused
    for (const bad of [null, [], 'x', { d: new Map() }, { n: Number.POSITIVE_INFINITY }, { a: [1, , 3] }]) {
      expect(codeOf(() => jsonObjectText('o', bad))).toBe('STORE_INVALID_ARGUMENT')
    }
  })

  test('checkLinkPatch returns only the fields given; null clears the rate limit', () => {
    expect(checkLinkPatch({})).toEqual({})
    expect(checkLinkPatch({ name: 'n', rateLimitPerMinute: null })).toEqual({
      name: 'n',
      rateLimitPerMinute: null,
    })
    expect(checkLinkPatch({ acl: { allowSenders: null } })).toEqual({ allowSenders: null })
    expect(codeOf(() => checkLinkPatch(null))).toBe('STORE_INVALID_ARGUMENT')
  })

  test('diagnosticText replaces NUL and lone surrogates only', () => {
    expect(diagnosticText('ok 🏳️‍🌈 é')).toBe('ok 🏳️‍🌈 é')
    expect(diagnosticText('\0\uD800x\uDC00')).toBe('\uFFFD\uFFFDx\uFFFD')
  })
})
