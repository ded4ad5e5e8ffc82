import type { Homeserver } from './homeserver.ts'
import type { PortalLinks } from './portals.ts'
import { GHOST_PREFIX } from './registration.ts'

/**
 * Portals on demand: joining `#_mainframe_<group id>:<server>` makes a public room linked to
 * that Mainframe group. The homeserver asks the bridge about an alias in its namespace before
 * telling the user it does not exist; the bridge makes the room with that alias and answers.
 */
export function groupOfAlias(alias: string, serverName: string): string | undefined {
  const match = new RegExp(`^#${GHOST_PREFIX}([0-9a-f]{64}):(.+)$`).exec(alias)
  return match && match[2] === serverName ? match[1] : undefined
}

/** Makes the portal room of `groupId` under its alias and links it; resolves with its room id. */
export async function openAliasPortal(
  hs: Homeserver,
  portals: PortalLinks,
  botUserId: string,
  groupId: string,
): Promise<string> {
  const roomId = await hs.createRoom(botUserId, {
    room_alias_name: `${GHOST_PREFIX}${groupId}`,
    name: `Mainframe group ${groupId.slice(0, 12)}…`,
    topic: `Bridged to the Mainframe group ${groupId}`,
    preset: 'public_chat',
  })
  await portals.link(roomId, groupId, botUserId)
  return roomId
}
