import { createHash } from 'node:crypto'
import type { CursorRepo, DedupeRepo } from '../../src/store/port.ts'
import type { Homeserver } from './homeserver.ts'
import { GHOST_PREFIX } from './registration.ts'

/**
 * Ghosts: the Matrix users that speak for people of other networks in portal rooms. A
 * Mainframe peer `mf:<peer id>` is `@_mainframe_<peer id, escaped>:<server>`, reversibly (the
 * spec's mapping of upper case to `_` + lower case, `_` to `__`), so a user query for such an
 * id can be answered; anyone else (an email address, a webhook sender) is a hash of the
 * address, named by a display name.
 */
export function ghostLocalpart(sender: string): string {
  if (sender.startsWith('mf:')) return `${GHOST_PREFIX}${escapeLocalpart(sender.slice(3))}`
  return `${GHOST_PREFIX}x${createHash('sha256').update(sender).digest('hex').slice(0, 32)}`
}

/** The peer id a Mainframe ghost's localpart stands for, or undefined for any other localpart. */
export function peerIdOfGhost(localpart: string): string | undefined {
  if (!localpart.startsWith(GHOST_PREFIX) || localpart.startsWith(`${GHOST_PREFIX}x`)) return undefined
  const peerId = unescapeLocalpart(localpart.slice(GHOST_PREFIX.length))
  return peerId !== undefined && /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/.test(peerId) ? peerId : undefined
}

/**
 * The display name of a sender's ghost: who they are, and that they came over the bridge. A
 * name their network gave (`displayName`) wins over their address.
 */
export function ghostDisplayName(sender: string, displayName?: string): string {
  const name = displayName
    ?.replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .slice(0, 100)
  const network = networkOf(sender)
  if (name) return `${name} (${network})`
  if (sender.startsWith('mf:')) return `${sender.slice(3, 11)}…${sender.slice(-6)} (Mainframe)`
  const who = sender.slice(sender.indexOf(':') + 1)
  return `${who.length > 64 ? `${who.slice(0, 63)}…` : who} (${network})`
}

function networkOf(sender: string): string {
  const scheme = sender.slice(0, Math.max(0, sender.indexOf(':')))
  const names: Record<string, string> = {
    mf: 'Mainframe',
    mailto: 'email',
    eip155: 'chain',
    matrix: 'Matrix',
  }
  return names[scheme] ?? (scheme || 'bridge')
}

function escapeLocalpart(id: string): string {
  return id.replace(/[A-Z_]/g, (c) => (c === '_' ? '__' : `_${c.toLowerCase()}`))
}

function unescapeLocalpart(escaped: string): string | undefined {
  let out = ''
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i] as string
    if (c !== '_') {
      out += c
      continue
    }
    const next = escaped[++i]
    if (next === undefined) return undefined
    out += next === '_' ? '_' : next.toUpperCase()
  }
  return out
}

/** How long a ghost's registration is remembered in the store: re-checked monthly. */
const GHOST_TTL_MS = 30 * 24 * 3600_000

/**
 * Makes ghosts exist and be in rooms before they speak. Registration (with the display name)
 * is remembered in the store, so a restart does not register every ghost again; room
 * membership is remembered in memory and repaired on the first refusal.
 */
export class Ghosts {
  readonly #hs: Homeserver
  readonly #dedupe: DedupeRepo
  readonly #cursors: CursorRepo
  readonly #server: string
  readonly #bot: string
  readonly #registered = new Set<string>()
  /** The name last set on each ghost, in this process. */
  readonly #named = new Map<string, string>()
  readonly #joined = new Set<string>()

  constructor(
    hs: Homeserver,
    store: { dedupe: DedupeRepo; cursors: CursorRepo },
    serverName: string,
    botUserId: string,
  ) {
    this.#hs = hs
    this.#dedupe = store.dedupe
    this.#cursors = store.cursors
    this.#server = serverName
    this.#bot = botUserId
  }

  /**
   * The ghost of `sender`, registered, and named after `displayName` when their network gave
   * one (renamed when it changes), else after their address.
   */
  async ensure(sender: string, displayName?: string): Promise<string> {
    const localpart = ghostLocalpart(sender)
    const userId = `@${localpart}:${this.#server}`
    if (!this.#registered.has(userId)) {
      if (!(await this.#dedupe.has('matrix-ghost', userId))) {
        await this.#hs.register(localpart)
        await this.#dedupe.remember('matrix-ghost', userId, GHOST_TTL_MS)
      }
      this.#registered.add(userId)
    }
    const name = ghostDisplayName(sender, displayName)
    if (this.#named.get(userId) !== name) {
      // The name set last is kept in the store: setting it again would post a member event in
      // every room the ghost is in.
      const key = `matrix-ghost-name:${userId}`
      if ((await this.#cursors.get(key))?.value !== name) {
        await this.#hs.setDisplayName(userId, name)
        await this.#cursors.put(key, name)
      }
      this.#named.set(userId, name)
    }
    return userId
  }

  /** Joins the ghost to the room, the bot inviting it first (portal rooms are invite-only). */
  async enter(roomId: string, userId: string): Promise<void> {
    const key = `${roomId}|${userId}`
    if (this.#joined.has(key)) return
    await this.#hs.invite(roomId, this.#bot, userId).catch(() => {
      // Already invited or joined, or the bot may not invite: the join below says which.
    })
    await this.#hs.join(roomId, userId)
    this.#joined.add(key)
  }

  /** Forgets that the ghost is in the room (it was kicked, or the room was left). */
  left(roomId: string, userId: string): void {
    this.#joined.delete(`${roomId}|${userId}`)
  }
}
