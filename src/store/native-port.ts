import type { ColumnReaders, ResultRow } from './columns.ts'
import { invalidArgument } from './errors.ts'
import { checkText, describeNumber, describeType } from './input.ts'

/**
 * Native ids (`store.natives`): which bridged message an id of another network stands for, and
 * back — a Matrix event id, an e-mail Message-ID, a chain log — so that a reply, an edit, a
 * reaction or a redaction still finds its target after a restart, in any process.
 *
 * A pair lives in a scope of its network: the room for Matrix, the mailbox for e-mail, the
 * chain for EVM; `''` for a network whose ids are unique on their own. Within one
 * (network, scope) the map is one-to-one: a native id stands for one message, and a message has
 * one native id there. A message that becomes several native objects (a Matrix message with
 * several attachments is several events) is remembered by its first one; relations to the
 * others do not resolve. The same message may have a native id in each of many scopes (one per
 * room it was delivered to).
 *
 * Pairs never change once stored and never expire: the table grows by a row (a few hundred bytes
 * with its indexes, for Matrix-sized ids) per message that crossed into or out of a scope. An operator trims it with `deleteBefore`; relations
 * to the messages forgotten then no longer resolve.
 *
 * The contract of `port.ts` holds (async, epoch-ms integers, exact strings, `STORE_*` errors).
 * Below the types are the input checks and the row mapping both drivers share.
 */

/** One stored pair. */
export interface NativeIdPair {
  network: string
  /** May be empty. */
  scope: string
  nativeId: string
  messageId: string
  /** Epoch ms, when it was first stored. */
  createdAt: number
}

/** The most ids one batch lookup takes. */
export const MAX_NATIVE_BATCH = 1000

export interface NativeIdRepo {
  /**
   * Stores that `nativeId` stands for `messageId` in (network, scope), unless either is paired
   * already there; returns the pair stored. The first writer wins: putting a pair again returns
   * it unchanged, and a put whose native id (else whose message id) is taken returns the pair
   * that holds it, so compare the result with what was asked. Atomic across processes.
   * @throws STORE_INVALID_ARGUMENT on empty or unstorable text (scope may be empty).
   */
  put(network: string, scope: string, nativeId: string, messageId: string): Promise<NativeIdPair>
  /** The message `nativeId` stands for in (network, scope), or undefined. */
  messageOf(network: string, scope: string, nativeId: string): Promise<string | undefined>
  /** The native id of `messageId` in (network, scope), or undefined. */
  nativeOf(network: string, scope: string, messageId: string): Promise<string | undefined>
  /**
   * `messageOf` for up to MAX_NATIVE_BATCH native ids in one query: native id → message id,
   * holding only the ids found (duplicates in the list are fine).
   * @throws STORE_INVALID_ARGUMENT, also on a longer list.
   */
  messagesOf(network: string, scope: string, nativeIds: readonly string[]): Promise<Map<string, string>>
  /** `nativeOf` for up to MAX_NATIVE_BATCH message ids in one query: message id → native id. */
  nativesOf(network: string, scope: string, messageIds: readonly string[]): Promise<Map<string, string>>
  /**
   * Forgets the pairs stored before `createdAt` (epoch ms, required), of every network; returns
   * how many. For operators bounding the table: nothing calls it on its own.
   */
  deleteBefore(createdAt: number): Promise<number>
}

// ---- shared by the drivers ----

/** A checked (network, scope): both well-formed text, the network non-empty. */
export function checkNativeScope(network: unknown, scope: unknown): { network: string; scope: string } {
  return { network: checkText('native network', network), scope: checkText('native scope', scope, true) }
}

/** A checked list of ids for a batch lookup: at most MAX_NATIVE_BATCH, duplicates dropped. */
export function checkNativeBatch(what: string, ids: unknown): string[] {
  if (!Array.isArray(ids)) throw invalidArgument(what, `must be an array, got ${describeType(ids)}`)
  if (ids.length > MAX_NATIVE_BATCH)
    throw invalidArgument(what, `must hold at most ${MAX_NATIVE_BATCH}, got ${ids.length}`)
  return [...new Set(ids.map((id: unknown) => checkText(what, id)))]
}

/** The cutoff of `deleteBefore`: a finite number of epoch ms (no default: it deletes). */
export function checkNativeCutoff(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidArgument('createdAt', `must be epoch milliseconds, got ${describeNumber(value)}`)
  return Math.min(Math.ceil(value), Number.MAX_SAFE_INTEGER)
}

/** A row of `native_ids` to a NativeIdPair. */
export function nativeRowMapper(r: ColumnReaders) {
  return (row: ResultRow): NativeIdPair => ({
    network: r.text(row, 'network'),
    scope: r.text(row, 'scope'),
    nativeId: r.text(row, 'native_id'),
    messageId: r.text(row, 'message_id'),
    createdAt: r.int(row, 'created_at'),
  })
}

/** The rows of a batch lookup to the Map it answers with: `from` column → `to` column. */
export function pairsToMap(
  rows: readonly ResultRow[],
  r: ColumnReaders,
  from: 'native_id' | 'message_id',
  to: 'native_id' | 'message_id',
): Map<string, string> {
  return new Map(rows.map((row) => [r.text(row, from), r.text(row, to)]))
}
