import type { LinkRepo } from '../../src/store/port.ts'

/** What the bot's link commands change: the links that make a room a portal of a group. */
export interface PortalLinks {
  /** Makes (or finds) the link room ↔ group; resolves with its id. */
  link(roomId: string, groupId: string, by: string): Promise<string>
  /** Removes the links the bot made for the room; resolves with how many. */
  unlink(roomId: string): Promise<number>
}

/** Links made by the bot are named so, which tells them from links made through the API. */
const portalName = (roomId: string) => `matrix portal ${roomId}`

/**
 * Portal links on the link repo the relay reads (its cache included, so a change applies at
 * once). A room linked again to the same group keeps its link; to another group, it gets one
 * more (a room may be bridged to several groups).
 */
export function portalLinks(links: LinkRepo): PortalLinks {
  const ours = async (roomId: string) =>
    (await links.findByEndpoint('matrix', roomId)).filter((l) => l.name === portalName(roomId))
  return {
    async link(roomId, groupId) {
      const group = `group:${groupId}`
      const existing = (await ours(roomId)).find((l) =>
        l.endpoints.some((e) => e.network === 'mainframe' && e.address === group),
      )
      if (existing) return existing.id
      const made = await links.create({
        name: portalName(roomId),
        endpoints: [
          { network: 'matrix', address: roomId, direction: 'both', options: {} },
          { network: 'mainframe', address: group, direction: 'both', options: {} },
        ],
      })
      return made.id
    },
    async unlink(roomId) {
      let removed = 0
      for (const link of await ours(roomId)) if (await links.delete(link.id)) removed++
      return removed
    },
  }
}
