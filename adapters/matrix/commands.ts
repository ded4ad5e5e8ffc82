/**
 * The bot's commands in a room: `!mf help`, `!mf link <group id>`, `!mf unlink`. Parsing is
 * pure; running a command goes through `CommandPorts`, so the rules (who may link, what an
 * encrypted room gets) are tested without a homeserver.
 */

export type Command =
  | { readonly name: 'help' }
  | { readonly name: 'link'; readonly groupId: string }
  | { readonly name: 'unlink' }
  | { readonly name: 'unknown'; readonly reason: string }

const PREFIX = '!mf'
const GROUP_ID = /^[0-9a-f]{64}$/

/** The command in a message body, or undefined when the body is not addressed to the bot. */
export function parseCommand(body: string): Command | undefined {
  const words = body.trim().split(/\s+/)
  if (words[0] !== PREFIX) return undefined
  const [, verb, ...args] = words
  switch (verb) {
    case undefined:
    case 'help':
      return { name: 'help' }
    case 'link': {
      const id = (args[0] ?? '').replace(/^group:/, '').toLowerCase()
      if (!GROUP_ID.test(id))
        return {
          name: 'unknown',
          reason: 'link needs the group id: 64 hex characters (GET /v1/groups lists them)',
        }
      return { name: 'link', groupId: id }
    }
    case 'unlink':
      return { name: 'unlink' }
    default:
      return { name: 'unknown', reason: `"${verb.slice(0, 32)}" is not a command` }
  }
}

/** What running a command needs from the adapter and the pipeline. */
export interface CommandPorts {
  /** The sender's power level and the level needed to change room state (m.room.power_levels). */
  powerOf(roomId: string, userId: string): Promise<{ user: number; needed: number }>
  isEncrypted(roomId: string): Promise<boolean>
  /** Makes the portal link room ↔ group; resolves with the link id (an existing one is reused). */
  link(roomId: string, groupId: string, by: string): Promise<string>
  /** Removes the portal links the bot made for this room; resolves with how many. */
  unlink(roomId: string): Promise<number>
  /** Puts the m.bridge state on the room (best effort: the bot may lack the power). */
  announceBridge(roomId: string, groupId: string | undefined): Promise<boolean>
}

export const HELP = [
  'Mainframe bridge commands:',
  '!mf link <group id> — bridge this room to a Mainframe group (needs the power to change room state)',
  '!mf unlink — stop bridging this room (same power)',
  '!mf help — this text',
].join('\n')

/** Runs a command; resolves with the notice the bot answers in the room. */
export async function runCommand(
  command: Command,
  roomId: string,
  sender: string,
  ports: CommandPorts,
): Promise<string> {
  switch (command.name) {
    case 'help':
      return HELP
    case 'unknown':
      return `${command.reason}. ${HELP}`
    case 'link':
    case 'unlink': {
      const { user, needed } = await ports.powerOf(roomId, sender)
      if (user < needed)
        return `Only members with power level ${needed} or more may ${command.name} this room; you have ${user}.`
      if (command.name === 'unlink') {
        const removed = await ports.unlink(roomId)
        await ports.announceBridge(roomId, undefined)
        return removed === 0
          ? 'This room is not bridged by a command (links made through the API are removed there).'
          : 'This room is no longer bridged.'
      }
      if (await ports.isEncrypted(roomId))
        return '🔒 This room is encrypted. Encrypted rooms are not bridged yet; bridge an unencrypted room.'
      await ports.link(roomId, command.groupId, sender)
      const shown = await ports.announceBridge(roomId, command.groupId)
      return `Bridged to Mainframe group ${command.groupId.slice(0, 12)}….${
        shown ? '' : ' (Give the bot the power to change room state to show the bridge in room settings.)'
      }`
    }
  }
}
