import { createHash } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { isMessageId, messageId, parseMessageId } from '../../../src/core/ids.ts'

const network = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/)
const nativeId = fc.string({ minLength: 1, maxLength: 300, unit: 'binary' })

describe('message ids', () => {
  test.prop([network, nativeId])('deterministic, and a safe BullMQ job id', (net, native) => {
    const id = messageId(net, native)
    expect(messageId(net, native)).toBe(id)
    expect(id).not.toContain(':')
    expect(id).not.toMatch(/^\d+$/)
    expect(isMessageId(id)).toBe(true)
    expect(parseMessageId(id)).toBe(id)
  })

  test.prop([network, nativeId, nativeId])('distinct native ids give distinct ids', (net, a, b) => {
    fc.pre(a !== b)
    expect(messageId(net, a)).not.toBe(messageId(net, b))
  })

  test.prop([nativeId])('the network is part of the id (no separator ambiguity)', (native) => {
    expect(messageId('matrix', native)).not.toBe(messageId('email', native))
    expect(messageId('ab', `\u0000${native}`)).not.toBe(messageId('a', `b\u0000${native}`))
  })

  test('ids are m + SHA-256(network NUL nativeId)[0..20] in hex, stable across releases', () => {
    // Stored ids and BullMQ job ids depend on this value never changing.
    expect(messageId('matrix', '$event:example.com')).toBe('md1419cfd510818a92e5a6dc581b9ed145595c828')
    const digest = createHash('sha256').update('email\u0000<a@b.example>').digest('hex')
    expect(messageId('email', '<a@b.example>')).toBe(`m${digest.slice(0, 40)}`)
  })

  test('bad input gets a clear error', () => {
    expect(() => messageId('Matrix', 'x')).toThrow(/invalid network name "Matrix"/)
    expect(() => messageId('matrix', '')).toThrow(/empty native id/)
    expect(() => parseMessageId('123')).toThrow(/"m" followed by 40/)
  })
})
