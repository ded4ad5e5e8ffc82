import { Lru } from '../../src/crypto/lru.ts'
import type { Logger } from '../../src/log/logger.ts'
import type { Homeserver } from './homeserver.ts'

/**
 * The display names of a room's members (their m.room.member state), read as the bot and kept
 * in memory until the member's next member event. A name is a nicety: when the homeserver does
 * not answer, the message goes without one.
 */
export class DisplayNames {
  readonly #hs: Homeserver
  readonly #log: Logger
  /** `room|user` → name ('' for none). */
  readonly #names = new Lru<string, string>(10_000)

  constructor(hs: Homeserver, log: Logger) {
    this.#hs = hs
    this.#log = log
  }

  /** The member's display name in the room, or undefined. */
  async of(roomId: string, userId: string): Promise<string | undefined> {
    const key = `${roomId}|${userId}`
    let name = this.#names.get(key)
    if (name === undefined) {
      try {
        const member = await this.#hs.state(roomId, 'm.room.member', userId)
        name = typeof member?.displayname === 'string' ? member.displayname.trim().slice(0, 256) : ''
      } catch (err) {
        this.#log.debug({ err }, 'could not read a display name')
        return undefined
      }
      this.#names.set(key, name)
    }
    return name || undefined
  }

  /** The member's state changed: read the name again next time. */
  forget(roomId: string, userId: string): void {
    this.#names.delete(`${roomId}|${userId}`)
  }
}
