import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { type CommandPorts, HELP, parseCommand, runCommand } from '../../../adapters/matrix/commands.ts'

const GROUP = 'ab'.repeat(32)

/**
 * In-memory stand-ins for the homeserver and the link store, to test the rules alone; the
 * Synapse test (appservice.test.ts) runs the same commands against the real ones.
 */
function ports(power: { user: number; needed: number }, encrypted = false) {
  const links = new Map<string, string>()
  const calls: string[] = []
  const fake: CommandPorts = {
    powerOf: async () => power,
    isEncrypted: async () => encrypted,
    link: async (room, group) => {
      links.set(room, group)
      calls.push(`link ${group}`)
      return 'l1'
    },
    unlink: async (room) => (links.delete(room) ? 1 : 0),
    announceBridge: async (_room, group) => {
      calls.push(`m.bridge ${group ?? 'removed'}`)
      return true
    },
  }
  return { fake, links, calls }
}

describe('bot commands', () => {
  test.prop([fc.string({ maxLength: 200 })])(
    'any text parses to a command or to nothing, never throws',
    (text) => {
      const command = parseCommand(text)
      if (!text.trim().startsWith('!mf')) expect(command).toBeUndefined()
    },
  )

  test('parses help, link with or without the group: prefix, unlink; says what is wrong otherwise', () => {
    expect(parseCommand('!mf')).toEqual({ name: 'help' })
    expect(parseCommand('  !mf help ')).toEqual({ name: 'help' })
    expect(parseCommand(`!mf link ${GROUP}`)).toEqual({ name: 'link', groupId: GROUP })
    expect(parseCommand(`!mf link group:${GROUP.toUpperCase()}`)).toEqual({ name: 'link', groupId: GROUP })
    expect(parseCommand('!mf unlink')).toEqual({ name: 'unlink' })
    expect(parseCommand('!mf link nope')).toMatchObject({
      name: 'unknown',
      reason: expect.stringContaining('64 hex'),
    })
    expect(parseCommand('!mf dance')).toMatchObject({ name: 'unknown', reason: '"dance" is not a command' })
    expect(parseCommand('hello !mf link')).toBeUndefined()
  })

  test('link: needs the power to change state, refuses encrypted rooms, links and shows m.bridge', async () => {
    const weak = ports({ user: 0, needed: 50 })
    expect(await runCommand({ name: 'link', groupId: GROUP }, '!r', '@u:hs', weak.fake)).toBe(
      'Only members with power level 50 or more may link this room; you have 0.',
    )
    expect(weak.links.size).toBe(0)
    const locked = ports({ user: 100, needed: 50 }, true)
    expect(await runCommand({ name: 'link', groupId: GROUP }, '!r', '@u:hs', locked.fake)).toMatch(
      /encrypted/,
    )
    expect(locked.links.size).toBe(0)
    const ok = ports({ user: 50, needed: 50 })
    expect(await runCommand({ name: 'link', groupId: GROUP }, '!r', '@u:hs', ok.fake)).toMatch(
      /^Bridged to Mainframe group abababababab/,
    )
    expect(ok.calls).toEqual([`link ${GROUP}`, `m.bridge ${GROUP}`])
    expect(await runCommand({ name: 'unlink' }, '!r', '@u:hs', ok.fake)).toBe(
      'This room is no longer bridged.',
    )
    expect(await runCommand({ name: 'unlink' }, '!r', '@u:hs', ok.fake)).toMatch(/not bridged by a command/)
    expect(await runCommand({ name: 'help' }, '!r', '@u:hs', ok.fake)).toBe(HELP)
  })
})
