import { createHash } from 'node:crypto'
import { columnReaders } from '../columns.ts'
import { checkInstant, checkText } from '../input.ts'
import {
  checkHeldIds,
  checkHeldInput,
  checkHeldPage,
  checkHoldLimits,
  type HeldPacketInput,
  type HeldRepo,
  type HoldLimits,
  type HoldOutcome,
  nodeRowMappers,
} from '../node-port.ts'
import { serializationConflict } from './conflicts.ts'
import type { Db, Run } from './db.ts'
import { int } from './rows.ts'

const { toHeldPacket } = nodeRowMappers('postgres', columnReaders('postgres'))

const COLUMNS = 'id, recipient, sender, packet, size, received_at, expires_at'
const LOOKUP = 'SELECT expires_at FROM held_packets WHERE recipient = $1 AND id = $2'
const DROP = 'DELETE FROM held_packets WHERE recipient = $1 AND id = $2'
const USAGE = `SELECT COUNT(*) AS n, COALESCE(SUM(size), 0)::bigint AS bytes FROM held_packets
  WHERE recipient = $1 AND sender = $2 AND expires_at > $3`
// DO NOTHING: a concurrent put of the same id by another sender (another lock) waits for it
// to commit, then inserts nothing.
const INSERT = `INSERT INTO held_packets (recipient, id, sender, size, received_at, expires_at, packet)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (recipient, id) DO NOTHING`
// An `after` no longer held finds no ord: the page starts again from the first packet.
const LIST_FOR = `SELECT ${COLUMNS} FROM held_packets
  WHERE recipient = $1 AND expires_at > $2
    AND ord > COALESCE((SELECT ord FROM held_packets WHERE recipient = $1 AND id = $3), 0)
  ORDER BY ord LIMIT $4`
const ACK = 'DELETE FROM held_packets WHERE recipient = $1 AND id = ANY($2::text[])'
const DELETE_EXPIRED = 'DELETE FROM held_packets WHERE expires_at <= $1'
const STATS = 'SELECT COUNT(*) AS packets, COALESCE(SUM(size), 0)::bigint AS bytes FROM held_packets'

/**
 * Held packets on the `held_packets` table. `put` reads the sender's usage and inserts while
 * holding an advisory lock per (recipient, sender), taken before its snapshot (see
 * `lockQuota`), so puts of one sender to one recipient (any process) run one after the other
 * and never exceed a limit together. Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT.
 */
export function pgHeld(run: Run): HeldRepo {
  return {
    put: (input, limits) =>
      run(async (db) => {
        const p = checkHeldInput(input)
        const checked = checkHoldLimits(limits)
        const keys = [quotaLock(p.recipient, p.sender)]
        return db.atomic(
          async (tx, own) => {
            await lockQuota(tx, own, keys)
            return putLocked(tx, p, checked)
          },
          'read committed',
          keys,
        )
      }),

    listFor: (recipient, page) =>
      run(async (db) => {
        checkText('held packet recipient', recipient)
        const { limit, after } = checkHeldPage(page)
        const rows = await db.rows(LIST_FOR, [recipient, Date.now(), after, limit + 1])
        return { packets: rows.slice(0, limit).map(toHeldPacket), more: rows.length > limit }
      }),

    ack: (recipient, ids) =>
      run(async (db) => {
        checkText('held packet recipient', recipient)
        const checked = checkHeldIds(ids)
        return checked.length === 0 ? 0 : db.count(ACK, [recipient, checked])
      }),

    deleteExpired: (now) => run(async (db) => db.count(DELETE_EXPIRED, [checkInstant('now', now)])),

    stats: () =>
      run(async (db) => {
        const [row] = await db.rows(STATS)
        return { packets: int(row!, 'packets'), bytes: int(row!, 'bytes') }
      }),
  }
}

async function putLocked(
  db: Db,
  p: HeldPacketInput & { size: number },
  limits: HoldLimits,
): Promise<HoldOutcome> {
  // Read after the lock wait: the packets of whoever held it before are committed by now.
  const now = Date.now()
  const [existing] = await db.rows(LOOKUP, [p.recipient, p.id])
  if (existing !== undefined) {
    if (int(existing, 'expires_at') > now) return 'duplicate'
    await db.count(DROP, [p.recipient, p.id])
  }
  const [usage] = await db.rows(USAGE, [p.recipient, p.sender, now])
  if (int(usage!, 'n') >= limits.maxPerSender || int(usage!, 'bytes') + p.size > limits.maxBytesPerSender)
    return 'quota'
  const params = [p.recipient, p.id, p.sender, p.size, now, p.expiresAt, p.packet]
  return (await db.count(INSERT, params)) > 0 ? 'stored' : 'duplicate'
}

/**
 * Holds the (recipient, sender) advisory lock since before the transaction's snapshot. In a
 * transaction of its own (read committed) `Db.atomic` took it before BEGIN, and each statement
 * reads the latest commits anyway. In a caller's serializable transaction it is taken before
 * the snapshot when put comes first (`Db.lockFirst`); later, a lock taken now would come after
 * the snapshot, which may miss packets its previous holder committed meanwhile (serializable
 * checks do not see a read-committed writer), so the transaction runs again, waiting for the
 * lock first (see `tx.ts`). Alone (a retry holding the gate), no other transaction runs.
 */
async function lockQuota(db: Db, own: boolean, keys: string[]): Promise<void> {
  if (own || db.alone || (await db.lockFirst(keys))) return
  throw serializationConflict('another transaction may be holding packets of the same sender', keys)
}

/** The advisory lock key (a signed 64-bit hash) of one sender's packets for one recipient. */
function quotaLock(recipient: string, sender: string): string {
  return String(createHash('sha256').update(`held\0${recipient}\0${sender}`).digest().readBigInt64BE(0))
}
