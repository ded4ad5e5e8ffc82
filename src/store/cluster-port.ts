/**
 * What several bridge processes share through the store: leases for work that must run once
 * at a time, and a registry of live processes for /v1/cluster.
 */

/** The holder of a lease and until when it holds it. */
export interface Lease {
  name: string
  /** Who holds it (a process id). */
  holder: string
  /**
   * Fencing token: grows by one each time the lease changes hands (or is taken again after it
   * expired or was released). Writes guarded by the lease pass it to `check` in their
   * transaction, so a holder that lost the lease (paused, partitioned) has them refused.
   */
  token: number
  /** Epoch ms when it was taken by this holder. */
  acquiredAt: number
  /** Epoch ms after which another process may take it. */
  expiresAt: number
}

export interface LeaseRepo {
  /**
   * Takes the lease when it is free, expired or released, or extends it when `holder` already
   * holds it (same token). Undefined while another holder's lease is live.
   * @throws STORE_INVALID_ARGUMENT (empty name/holder, ttlMs not a positive integer).
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>
  /** Extends a live lease held by (holder, token); false when it was lost (expired and taken, or released). */
  renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean>
  /** Gives the lease up at once (so another process takes it without waiting); false when not held. */
  release(name: string, holder: string, token: number): Promise<boolean>
  /**
   * Refuses a write from a stale holder: throws STORE_FENCED (not retryable) unless `token`
   * is the current token of a live lease. Call it inside the transaction of the guarded write.
   */
  check(name: string, token: number): Promise<void>
  /** Every lease, live or expired, by name. */
  list(): Promise<Lease[]>
}

export type ProcessRole = 'all' | 'worker' | 'node'

/** One bridge process as it announces itself. */
export interface ProcessInfo {
  id: string
  role: ProcessRole
  host: string
  pid: number
  version: string
  startedAt: number
  /** Epoch ms of its last heartbeat. */
  lastSeen: number
}

export interface ProcessRepo {
  /** Records (or refreshes) a process; lastSeen = now. */
  heartbeat(info: Omit<ProcessInfo, 'lastSeen'>): Promise<void>
  /** Processes seen at or after `since` (epoch ms), by id. */
  list(since: number): Promise<ProcessInfo[]>
  /** Forgets a process (its clean exit). */
  remove(id: string): Promise<void>
}
