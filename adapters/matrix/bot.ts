import type { CommandPorts } from './commands.ts'
import type { Homeserver } from './homeserver.ts'
import type { PortalLinks } from './portals.ts'

/** The m.bridge state key of this bridge's portals (MSC2346: one per bridged channel). */
const BRIDGE_STATE_KEY = 'org.mainframe.bridge'

/**
 * The command ports over the real homeserver and link store. Power levels follow the room's
 * m.room.power_levels: linking a room changes what it is, so it takes the power to change its
 * state (`state_default`, 50 unless the room says otherwise).
 */
export function commandPorts(hs: Homeserver, portals: PortalLinks, botUserId: string): CommandPorts {
  return {
    async powerOf(roomId, userId) {
      const levels = (await hs.state(roomId, 'm.room.power_levels')) ?? {}
      if (await isCreator(hs, roomId, userId)) return { user: Number.POSITIVE_INFINITY, needed: 0 }
      const users = (levels.users ?? {}) as Record<string, unknown>
      const user = numberOr(users[userId], numberOr(levels.users_default, 0))
      const events = (levels.events ?? {}) as Record<string, unknown>
      const needed = numberOr(events['m.bridge'], numberOr(levels.state_default, 50))
      return { user, needed }
    },
    isEncrypted: (roomId) => hs.isEncrypted(roomId),
    link: (roomId, groupId, by) => portals.link(roomId, groupId, by),
    unlink: (roomId) => portals.unlink(roomId),
    async announceBridge(roomId, groupId) {
      const content =
        groupId === undefined
          ? {}
          : {
              bridgebot: botUserId,
              protocol: { id: 'mainframe', displayname: 'Mainframe' },
              channel: { id: `group:${groupId}`, displayname: `Mainframe group ${groupId.slice(0, 12)}…` },
            }
      try {
        await hs.setState(roomId, botUserId, 'm.bridge', BRIDGE_STATE_KEY, content)
        return true
      } catch {
        // The bot often lacks the power to set state; the link works without it.
        return false
      }
    },
  }
}

/**
 * Whether the user created the room in a room version where creators stand above power levels
 * (v12 and later, MSC4289: the create event's sender and its `additional_creators`, who are
 * not listed in m.room.power_levels).
 */
async function isCreator(hs: Homeserver, roomId: string, userId: string): Promise<boolean> {
  const create = await hs.stateEvent(roomId, 'm.room.create')
  const content = (create?.content ?? {}) as Record<string, unknown>
  const version = Number.parseInt(String(content.room_version ?? '1'), 10)
  if (!(version >= 12)) return false
  const extra = Array.isArray(content.additional_creators) ? content.additional_creators : []
  return create?.sender === userId || extra.includes(userId)
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}
