import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { membershipNotice } from '../../../adapters/matrix/membership.ts'
import { bridgeMessageSchema } from '../../../src/core/message.ts'

const member = (membership: string, prev?: string, sender = '@alice:hs', displayname?: string) => ({
  type: 'm.room.member',
  event_id: `$e-${membership}-${prev}`,
  room_id: '!r:hs',
  sender,
  state_key: '@alice:hs',
  origin_server_ts: 1_700_000_000_000,
  content: { membership, ...(displayname ? { displayname } : {}) },
  ...(prev ? { unsigned: { prev_content: { membership: prev } } } : {}),
})

describe('membership notices', () => {
  test('joins, leaves, kicks and bans read as sentences; the doer is the sender', () => {
    expect(membershipNotice(member('join', 'invite', '@alice:hs', 'Alice'), '!r:hs')?.body.text).toBe(
      'Alice joined the room',
    )
    expect(membershipNotice(member('leave', 'join'), '!r:hs')?.body.text).toBe('@alice:hs left the room')
    const kick = membershipNotice(member('leave', 'join', '@bob:hs'), '!r:hs')
    expect(kick?.body.text).toBe('@alice:hs was removed by @bob:hs')
    expect(kick?.origin.sender).toBe('matrix:@bob:hs')
    expect(membershipNotice(member('ban', 'join', '@bob:hs'), '!r:hs')?.body.text).toBe(
      '@alice:hs was banned by @bob:hs',
    )
  })

  test('no change of membership, a declined invite or an invite is nothing', () => {
    expect(membershipNotice(member('join', 'join', '@alice:hs', 'New name'), '!r:hs')).toBeUndefined()
    expect(membershipNotice(member('leave', 'invite'), '!r:hs')).toBeUndefined()
    expect(membershipNotice(member('invite', undefined, '@bob:hs'), '!r:hs')).toBeUndefined()
  })

  test('control and bidi characters are removed from display names; a long one falls back to the user id', () => {
    expect(
      membershipNotice(member('join', undefined, '@alice:hs', 'A\u0007\u202e'), '!r:hs')?.body.text,
    ).toBe('A joined the room')
    expect(
      membershipNotice(member('join', undefined, '@alice:hs', 'x'.repeat(200)), '!r:hs')?.body.text,
    ).toBe('@alice:hs joined the room')
  })

  test.prop([fc.anything()])('any input gives nothing or a valid message, never throws', (input) => {
    const out = membershipNotice(input, '!r:hs')
    if (out) expect(bridgeMessageSchema.safeParse(out).success).toBe(true)
  })

  test.prop([fc.string(), fc.string(), fc.string()])(
    'random member events give valid messages',
    (name, a, b) => {
      const out = membershipNotice(
        { ...member(a, b, '@x:hs', name), state_key: '@y:hs', event_id: '$x' },
        '!r:hs',
      )
      if (out) expect(bridgeMessageSchema.safeParse(out).success).toBe(true)
    },
  )
})
