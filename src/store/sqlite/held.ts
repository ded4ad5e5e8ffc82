import { columnReaders } from '../columns.ts'
import { checkInstant, checkText } from '../input.ts'
import {
  checkHeldIds,
  checkHeldInput,
  checkHeldPage,
  checkHoldLimits,
  type HeldRepo,
  type HoldOutcome,
  nodeRowMappers,
} from '../node-port.ts'
import type { Param } from './connection.ts'
import { int } from './rows.ts'
import type { Run } from './run.ts'

const { toHeldPacket } = nodeRowMappers('sqlite', columnReaders('sqlite'))

const COLUMNS = 'id, recipient, sender, packet, size, received_at, expires_at'
const LOOKUP = 'SELECT expires_at FROM held_packets WHERE recipient = ? AND id = ?'
const DROP = 'DELETE FROM held_packets WHERE recipient = ? AND id = ?'
/** Exported for the query-plan test. */
export const USAGE = `SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM held_packets
  WHERE recipient = ? AND sender = ? AND expires_at > ?`
const INSERT = `INSERT INTO held_packets (recipient, id, sender, size, received_at, expires_at, packet)
  VALUES (?, ?, ?, ?, ?, ?, ?)`
// An `after` no longer held finds no ord: the page starts again from the first packet.
/** Exported for the query-plan test. */
export const LIST_FOR = `SELECT ${COLUMNS} FROM held_packets
  WHERE recipient = ? AND expires_at > ?
    AND ord > COALESCE((SELECT ord FROM held_packets WHERE recipient = ? AND id = ?), 0)
  ORDER BY ord LIMIT ?`
/** Exported for the query-plan test. */
export const ACK = 'DELETE FROM held_packets WHERE recipient = ? AND id IN (SELECT value FROM json_each(?))'
/** Exported for the query-plan test. */
export const DELETE_EXPIRED = 'DELETE FROM held_packets WHERE expires_at <= ?'
const STATS = 'SELECT COUNT(*) AS packets, COALESCE(SUM(size), 0) AS bytes FROM held_packets'

/**
 * Held packets on the `held_packets` table. `put` reads the sender's usage and inserts in one
 * BEGIN IMMEDIATE transaction (or the caller's), which holds the database's write lock
 * throughout, so no other put of any process slips in between. Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteHeld(run: Run): HeldRepo {
  return {
    put: (input, limits) =>
      run((conn) => {
        const p = checkHeldInput(input)
        const { maxPerSender, maxBytesPerSender } = checkHoldLimits(limits)
        const now = Date.now()
        return conn.atomic((): HoldOutcome => {
          const existing = conn.get(LOOKUP, p.recipient, p.id)
          if (existing !== undefined) {
            if (int(existing, 'expires_at') > now) return 'duplicate'
            conn.run(DROP, p.recipient, p.id)
          }
          const usage = conn.get(USAGE, p.recipient, p.sender, now)!
          if (int(usage, 'n') >= maxPerSender || int(usage, 'bytes') + p.size > maxBytesPerSender)
            return 'quota'
          conn.run(INSERT, p.recipient, p.id, p.sender, p.size, now, p.expiresAt, blob(p.packet))
          return 'stored'
        })
      }),

    listFor: (recipient, page) =>
      run((conn) => {
        checkText('held packet recipient', recipient)
        const { limit, after } = checkHeldPage(page)
        const rows = conn.all(LIST_FOR, recipient, Date.now(), recipient, after, limit + 1)
        return { packets: rows.slice(0, limit).map(toHeldPacket), more: rows.length > limit }
      }),

    ack: (recipient, ids) =>
      run((conn) => {
        checkText('held packet recipient', recipient)
        const checked = checkHeldIds(ids)
        if (checked.length === 0) return 0
        return conn.run(ACK, recipient, JSON.stringify(checked))
      }),

    deleteExpired: (now) => run((conn) => conn.run(DELETE_EXPIRED, checkInstant('now', now))),

    stats: () =>
      run((conn) => {
        const row = conn.get(STATS)!
        return { packets: int(row, 'packets'), bytes: int(row, 'bytes') }
      }),
  }
}

/** node:sqlite binds a Uint8Array (only the view's bytes) as a BLOB; `Param` does not list it. */
function blob(bytes: Uint8Array): Param {
  return bytes as unknown as Param
}
