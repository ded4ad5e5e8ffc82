import type { ColumnReaders, ResultRow } from './columns.ts'
import { invalidArgument, queryFailed } from './errors.ts'
import { checkText, describeNumber, describeType } from './input.ts'

/**
 * The Mainframe node's part of the store port: the packets this node holds for offline peers
 * (`/mainframe/hold/1.0.0`) and the MLS groups it is a member of. Reached as `store.held` and
 * `store.groups`, and the same on a transaction's `tx`.
 *
 * The contract of `port.ts` holds here too (async, epoch-ms integers, exact strings,
 * `STORE_*` errors, blocking). Bytes (`packet`, `state`) are stored as BLOB / BYTEA and come
 * back as plain `Uint8Array`s holding exactly the bytes given (only the view's bytes when a
 * subarray is given), never a Buffer and never a view of another value's memory.
 *
 * Below the types are the input checks and row mappings both drivers share (as
 * `cluster-input.ts` and `row-mappers.ts` do for the other repos), so they cannot drift.
 */

/** A sealed packet held for a peer. The holder cannot read it: `packet` is opaque. */
export interface HeldPacket {
  /** Chosen by the sender; unique per recipient. */
  id: string
  /** The peer id the packet waits for. */
  recipient: string
  /** The peer id that handed it over. */
  sender: string
  packet: Uint8Array
  /** `packet.length`. */
  size: number
  /** Epoch ms, when this node stored it. */
  receivedAt: number
  /** Epoch ms; the packet is gone for every read once `now >= expiresAt`. */
  expiresAt: number
}

/** What `HeldRepo.put` takes. */
export interface HeldPacketInput {
  /** Non-empty text. */
  id: string
  recipient: string
  sender: string
  /** At least one byte. */
  packet: Uint8Array
  /** Epoch ms (an integer); one in the past stores a packet nobody will ever read. */
  expiresAt: number
}

/** Per (recipient, sender): what a sender may have held for one recipient at a time. */
export interface HoldLimits {
  /** Live packets; a positive integer. */
  maxPerSender: number
  /** Sum of their sizes; a positive integer. */
  maxBytesPerSender: number
}

/** stored; duplicate: the recipient already has a live packet with this id; quota: see `put`. */
export type HoldOutcome = 'stored' | 'duplicate' | 'quota'

/** One page of `listFor`. */
export interface HeldPage {
  /** In the order they were stored. */
  packets: HeldPacket[]
  /** Whether live packets follow the last one of this page. */
  more: boolean
}

/** The largest `limit` of `listFor` and the most ids of one `ack`. */
export const MAX_HELD_PAGE = 1000

/** Packets held for offline peers (packet holding, `/mainframe/hold/1.0.0`). */
export interface HeldRepo {
  /**
   * Holds a packet until the recipient acks it or it expires. Atomic, also across processes:
   * 'duplicate' when the recipient already has a live packet with this id (the one held is
   * left as it is, whoever sent it; an expired one is replaced); else 'quota' when storing it
   * would take the sender past `maxPerSender` live packets or `maxBytesPerSender` bytes held
   * for this recipient, so concurrent puts never exceed a limit; else 'stored'.
   * @throws STORE_INVALID_ARGUMENT (empty text, empty or non-Uint8Array packet, non-integer
   *   expiresAt, limits not positive integers).
   */
  put(input: HeldPacketInput, limits: HoldLimits): Promise<HoldOutcome>
  /**
   * The recipient's live packets in the order they were stored, at most `limit` (1 to
   * MAX_HELD_PAGE), after the packet with id `after` when given. An `after` that is no longer
   * held (acked, expired) or unknown restarts from the first packet: a recipient may see a
   * packet twice (it dedupes by id), never miss one.
   * @throws STORE_INVALID_ARGUMENT.
   */
  listFor(recipient: string, page: { limit: number; after?: string }): Promise<HeldPage>
  /**
   * Deletes the recipient's packets with these ids (at most MAX_HELD_PAGE); ids it does not
   * hold, or held for another recipient, are left alone. Returns how many were deleted.
   * @throws STORE_INVALID_ARGUMENT.
   */
  ack(recipient: string, ids: readonly string[]): Promise<number>
  /** Deletes the packets expired at `now` (default: the current time); returns how many. */
  deleteExpired(now?: number): Promise<number>
  /**
   * Every row held, expired ones included until `deleteExpired` removes them: the space taken.
   * Reads an index entry per row: for metrics now and then, not for each request.
   */
  stats(): Promise<{ packets: number; bytes: number }>
}

/** orderer: this node sequences the group's commits; member: it follows them. */
export type GroupRole = 'orderer' | 'member'

/** The state of one MLS group this node is a member of. */
export interface GroupState {
  /** Lower-case hex of the MLS group id (1 to 256 bytes). */
  groupId: string
  /** The pubsub topic the group talks on. */
  topic: string
  /** The serialized group state, already encrypted by the caller; opaque to the store. */
  state: Uint8Array
  /** The MLS epoch of `state`: an integer >= 0. */
  epoch: number
  role: GroupRole
  /** Epoch ms of the last save. */
  updatedAt: number
}

/** What `GroupRepo.save` takes: the new state and the epoch the caller read. */
export interface GroupSaveInput extends Omit<GroupState, 'updatedAt'> {
  /** The stored epoch this save replaces, or null to create the group. Required. */
  expectedEpoch: number | null
}

/** MLS group states, saved with optimistic concurrency on the epoch. */
export interface GroupRepo {
  get(groupId: string): Promise<GroupState | undefined>
  /** Every group, by groupId. */
  list(): Promise<GroupState[]>
  /**
   * Writes the group if the stored epoch equals `expectedEpoch` (null: only if absent), in one
   * statement, so of two processes saving over the same epoch one wins. Two saves within one
   * epoch (expectedEpoch = epoch) do not conflict with each other: the epoch is the version.
   * Returns what was stored.
   * @throws STORE_CONFLICT (retryable) when the stored epoch is another; STORE_INVALID_ARGUMENT
   *   on bad input, or an epoch lower than expectedEpoch (epochs never go back).
   */
  save(input: GroupSaveInput): Promise<GroupState>
  /** True when this call deleted the group. */
  delete(groupId: string): Promise<boolean>
}

// ---- shared by the drivers: input checks (STORE_INVALID_ARGUMENT, values never echoed) ----

const ROLES: readonly string[] = ['orderer', 'member'] satisfies GroupRole[]
const GROUP_ID = /^(?:[0-9a-f]{2}){1,256}$/

/** A `HeldPacketInput` ready to store, with its size. */
export function checkHeldInput(input: unknown): HeldPacketInput & { size: number } {
  const value = checkObject('held packet', input)
  const packet = checkBytes('held packet bytes', value.packet)
  return {
    id: checkText('held packet id', value.id),
    recipient: checkText('held packet recipient', value.recipient),
    sender: checkText('held packet sender', value.sender),
    packet,
    size: packet.length,
    expiresAt: checkEpochMs('held packet expiresAt', value.expiresAt),
  }
}

export function checkHoldLimits(limits: unknown): HoldLimits {
  const value = checkObject('hold limits', limits)
  return {
    maxPerSender: checkCount('maxPerSender', value.maxPerSender, Number.MAX_SAFE_INTEGER),
    maxBytesPerSender: checkCount('maxBytesPerSender', value.maxBytesPerSender, Number.MAX_SAFE_INTEGER),
  }
}

/** `listFor`'s page: `after` null when absent. */
export function checkHeldPage(page: unknown): { limit: number; after: string | null } {
  const value = checkObject('held page', page)
  return {
    limit: checkCount('limit', value.limit, MAX_HELD_PAGE),
    after: value.after === undefined ? null : checkText('held page after', value.after),
  }
}

export function checkHeldIds(ids: unknown): string[] {
  if (!Array.isArray(ids))
    throw invalidArgument('held packet ids', `must be an array, got ${describeType(ids)}`)
  if (ids.length > MAX_HELD_PAGE)
    throw invalidArgument('held packet ids', `must hold at most ${MAX_HELD_PAGE}, got ${ids.length}`)
  return ids.map((id: unknown) => checkText('held packet id', id))
}

/** A `GroupSaveInput`, with epoch >= expectedEpoch. */
export function checkGroupSave(input: unknown): GroupSaveInput {
  const value = checkObject('group', input)
  const epoch = checkEpoch('group epoch', value.epoch)
  const expected = value.expectedEpoch
  if (expected === undefined)
    throw invalidArgument('group expectedEpoch', 'is required: the epoch read, or null to create')
  const expectedEpoch = expected === null ? null : checkEpoch('group expectedEpoch', expected)
  if (expectedEpoch !== null && epoch < expectedEpoch)
    throw invalidArgument('group epoch', `must not go back: ${epoch} < expectedEpoch ${expectedEpoch}`)
  if (typeof value.role !== 'string' || !ROLES.includes(value.role))
    throw invalidArgument('group role', `must be one of ${ROLES.join(', ')}`)
  return {
    groupId: checkGroupId(value.groupId),
    topic: checkText('group topic', value.topic),
    state: checkBytes('group state', value.state),
    epoch,
    role: value.role as GroupRole,
    expectedEpoch,
  }
}

export function checkGroupId(value: unknown): string {
  if (typeof value !== 'string' || !GROUP_ID.test(value))
    throw invalidArgument('groupId', 'must be lower-case hex of 1 to 256 bytes')
  return value
}

function checkBytes(what: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw invalidArgument(what, `must be a Uint8Array, got ${describeType(value)}`)
  if (value.length === 0) throw invalidArgument(what, 'must not be empty')
  return value
}

function checkEpochMs(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidArgument(what, `must be an integer of epoch milliseconds, got ${describeNumber(value)}`)
  return value
}

function checkEpoch(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalidArgument(what, `must be an integer >= 0, got ${describeNumber(value)}`)
  return value
}

function checkCount(what: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max)
    throw invalidArgument(what, `must be an integer from 1 to ${max}, got ${describeNumber(value)}`)
  return value
}

function checkObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(what, `must be an object, got ${describeType(value)}`)
  return value as Record<string, unknown>
}

// ---- shared by the drivers: rows to port objects ----

/** Rows of `held_packets` and `mls_groups` to port objects, the same for both drivers. */
export function nodeRowMappers(driver: 'sqlite' | 'postgres', r: ColumnReaders) {
  const bytes = bytesReader(driver)
  const toHeldPacket = (row: ResultRow): HeldPacket => ({
    id: r.text(row, 'id'),
    recipient: r.text(row, 'recipient'),
    sender: r.text(row, 'sender'),
    packet: bytes(row, 'packet'),
    size: r.int(row, 'size'),
    receivedAt: r.int(row, 'received_at'),
    expiresAt: r.int(row, 'expires_at'),
  })
  const toGroup = (row: ResultRow): GroupState => ({
    groupId: r.text(row, 'group_id'),
    topic: r.text(row, 'topic'),
    state: bytes(row, 'state'),
    epoch: r.int(row, 'epoch'),
    role: r.text(row, 'role') as GroupRole,
    updatedAt: r.int(row, 'updated_at'),
  })
  return { toHeldPacket, toGroup }
}

/**
 * A BLOB / BYTEA column as a plain Uint8Array of its own. node:sqlite returns a fresh
 * Uint8Array; pg a Buffer, possibly a slice of a shared pool, which is copied.
 */
export function bytesReader(driver: 'sqlite' | 'postgres') {
  return (row: ResultRow, column: string): Uint8Array => {
    const value = row[column]
    if (!(value instanceof Uint8Array)) {
      const got = value === null ? 'null' : typeof value
      throw queryFailed(driver, new TypeError(`column ${column}: expected bytes, got ${got}`), false)
    }
    return value.constructor === Uint8Array ? value : new Uint8Array(value)
  }
}
