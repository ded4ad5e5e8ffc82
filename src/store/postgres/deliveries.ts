import { createHash } from 'node:crypto'
import type { BridgeMessage } from '../../core/message.ts'
import { invalidArgument } from '../errors.ts'
import { checkInstant, checkText, describeType } from '../input.ts'
import { checkError, checkInteger, checkTargets } from '../relay-input.ts'
import type { DeliveryRecord, DeliveryRepo, DeliveryState, DeliveryTarget } from '../relay-port.ts'
import { serializationConflict, withRetryLocks } from './conflicts.ts'
import type { Db, Run } from './db.ts'
import { int, text, toDelivery } from './rows.ts'

const COLUMNS = `message_id, target_key, link_id, network, address, conversation_key, seq, state, attempts,
  native_id, error_code, error_message, created_at, updated_at, delivered_at`
// seq = 1 + the pair's max seq, read through deliveries_order in the insert itself; an existing
// (message_id, target_key) returns no row.
const CREATE = `INSERT INTO deliveries (message_id, target_key, link_id, network, address, conversation_key,
    seq, state, attempts, created_at, updated_at)
  SELECT $1, $2, $3, $4, $5, $6, COALESCE(MAX(seq), 0) + 1, 'pending', 0, $7, $7
    FROM deliveries WHERE target_key = $2 AND conversation_key = $6
  ON CONFLICT (message_id, target_key) DO NOTHING
  RETURNING ${COLUMNS}`
const TRY_LOCK_PAIRS =
  'SELECT bool_and(pg_try_advisory_xact_lock(k)) AS ok FROM unnest($1::bigint[]) AS t (k)'
const SELECT_ONE = `SELECT ${COLUMNS} FROM deliveries WHERE message_id = $1 AND target_key = $2`
// The deliver stage's one read; d.* names spelled out so the row maps like SELECT_ONE's.
const SELECT_WITH_MESSAGE = `SELECT ${COLUMNS.replace(/(\w+)/g, 'd.$1')}, m.message
  FROM deliveries d JOIN messages m ON m.id = d.message_id
  WHERE d.message_id = $1 AND d.target_key = $2`
const SELECT_BY_MESSAGE = `SELECT ${COLUMNS} FROM deliveries WHERE message_id = $1 ORDER BY target_key`
const MARK_DELIVERED = `UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, native_id = $1,
    error_code = NULL, error_message = NULL, delivered_at = $2, updated_at = $3
  WHERE message_id = $4 AND target_key = $5 AND state IN ('pending', 'dead')`
const MARK_FAILED = `UPDATE deliveries SET state = $1, attempts = attempts + 1, error_code = $2, error_message = $3,
    updated_at = $4
  WHERE message_id = $5 AND target_key = $6 AND state = 'pending'`
const MARK_REFUSED = `UPDATE deliveries SET state = 'refused', error_code = $1, error_message = $2, updated_at = $3
  WHERE message_id = $4 AND target_key = $5 AND state = 'pending'`
const REVIVE = `UPDATE deliveries SET state = 'pending', updated_at = $1
  WHERE message_id = $2 AND target_key = $3 AND state = 'dead'`
const COUNT = 'SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state'
// The literal state = 'pending' matches the partial index deliveries_pending.
const PENDING_BEFORE = `SELECT 1 AS found FROM deliveries
  WHERE target_key = $1 AND conversation_key = $2 AND seq < $3 AND state = 'pending' LIMIT 1`

/**
 * The delivery repo on the `deliveries` table, keyed by message and target. Every state
 * change is one conditional UPDATE, so a repeated or late call is a no-op rather than a lost
 * update, across processes too. `createMany` is atomic and holds an advisory lock per
 * (targetKey, conversationKey) until its transaction ends, so writers of one pair (any
 * process) take seqs one after the other (see `lockPairs`). Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT.
 */
export function pgDeliveries(run: Run): DeliveryRepo {
  return {
    createMany: (messageId, conversationKey, targets) =>
      run(async (db) => {
        checkText('delivery messageId', messageId)
        checkText('delivery conversationKey', conversationKey)
        const checked = checkTargets(targets)
        if (checked.length === 0) return []
        const now = Date.now()
        const keys = pairLocks(checked, conversationKey)
        return db.atomic(
          async (tx, own) => {
            try {
              await lockPairs(tx, own, keys)
              const rows: DeliveryRecord[] = []
              for (const t of checked) rows.push(await createOne(tx, messageId, conversationKey, t, now))
              return rows
            } catch (err) {
              // A seq taken meanwhile (stale snapshot): the retry waits for these pairs first.
              throw withRetryLocks(err, keys)
            }
          },
          'read committed',
          keys,
        )
      }),

    get: (messageId, targetKey) =>
      run(async (db) => {
        const [row] = await db.rows(SELECT_ONE, checkKey(messageId, targetKey))
        return row === undefined ? undefined : toDelivery(row)
      }),

    getWithMessage: (messageId, targetKey) =>
      run(async (db) => {
        const [row] = await db.rows(SELECT_WITH_MESSAGE, checkKey(messageId, targetKey))
        if (row === undefined) return undefined
        return { delivery: toDelivery(row), message: JSON.parse(text(row, 'message')) as BridgeMessage }
      }),

    listByMessage: (messageId) =>
      run(async (db) =>
        (await db.rows(SELECT_BY_MESSAGE, [checkText('delivery messageId', messageId)])).map(toDelivery),
      ),

    markDelivered: (messageId, targetKey, receipt) =>
      run(async (db) => {
        const key = checkKey(messageId, targetKey)
        if (typeof receipt !== 'object' || receipt === null)
          throw invalidArgument('receipt', `must be an object, got ${describeType(receipt)}`)
        if (receipt.at === undefined) throw invalidArgument('receipt at', 'is required')
        const at = checkInstant('receipt at', receipt.at)
        const nativeId =
          receipt.nativeId === undefined ? null : checkText('receipt nativeId', receipt.nativeId, true)
        return (await db.count(MARK_DELIVERED, [nativeId, at, Date.now(), ...key])) > 0
      }),

    markFailed: (messageId, targetKey, error, dead) =>
      run(async (db) => {
        const key = checkKey(messageId, targetKey)
        const { code, message } = checkError('delivery error', error)
        if (typeof dead !== 'boolean')
          throw invalidArgument('dead', `must be a boolean, got ${describeType(dead)}`)
        await db.count(MARK_FAILED, [dead ? 'dead' : 'pending', code, message, Date.now(), ...key])
      }),

    markRefused: (messageId, targetKey, error) =>
      run(async (db) => {
        const key = checkKey(messageId, targetKey)
        const { code, message } = checkError('refusal', error)
        await db.count(MARK_REFUSED, [code, message, Date.now(), ...key])
      }),

    revive: (messageId, targetKey) =>
      run(async (db) => (await db.count(REVIVE, [Date.now(), ...checkKey(messageId, targetKey)])) > 0),

    countByState: () =>
      run(async (db) => {
        const counts: Record<DeliveryState, number> = { pending: 0, delivered: 0, dead: 0, refused: 0 }
        for (const row of await db.rows(COUNT)) counts[text(row, 'state') as DeliveryState] = int(row, 'n')
        return counts
      }),

    hasPendingBefore: (targetKey, conversationKey, seq) =>
      run(async (db) => {
        const rows = await db.rows(PENDING_BEFORE, [
          checkText('delivery targetKey', targetKey),
          checkText('delivery conversationKey', conversationKey),
          checkInteger('seq', seq),
        ])
        return rows.length > 0
      }),
  }
}

async function createOne(
  db: Db,
  messageId: string,
  conversationKey: string,
  t: DeliveryTarget,
  now: number,
): Promise<DeliveryRecord> {
  const params = [messageId, t.targetKey, t.linkId, t.network, t.address, conversationKey, now]
  const [created] = await db.rows(CREATE, params)
  if (created !== undefined) return toDelivery(created)
  const [existing] = await db.rows(SELECT_ONE, [messageId, t.targetKey])
  return toDelivery(existing!)
}

/**
 * Holds the advisory lock of each (targetKey, conversationKey) until the transaction ends, so
 * that no other writer of the pair computes a seq meanwhile. In a transaction of its own (read
 * committed) the locks were taken before BEGIN (`Db.atomic`). In a caller's serializable
 * transaction they are taken before its snapshot when createMany comes first
 * (`Db.lockFirst`); later, the snapshot being older than any wait, a lock held elsewhere is a
 * conflict at once: the transaction runs again after waiting for them (see `tx.ts`). Alone (a
 * retry that holds the gate), no other writer runs: nothing to take.
 */
async function lockPairs(db: Db, own: boolean, keys: string[]): Promise<void> {
  if (own || db.alone || (await db.lockFirst(keys))) return
  const [row] = await db.rows(TRY_LOCK_PAIRS, [keys])
  if (row?.ok !== true)
    throw serializationConflict(
      'another transaction is creating deliveries for the same target and conversation',
      keys,
    )
}

/** One advisory lock key (a signed 64-bit hash) per (targetKey, conversationKey), sorted. */
function pairLocks(targets: readonly DeliveryTarget[], conversationKey: string): string[] {
  return targets
    .map((t) => createHash('sha256').update(`${t.targetKey}\0${conversationKey}`).digest().readBigInt64BE(0))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String)
}

function checkKey(messageId: unknown, targetKey: unknown): [string, string] {
  return [checkText('delivery messageId', messageId), checkText('delivery targetKey', targetKey)]
}
