import type { NodeIdentity } from '../../crypto/identity.ts'
import type { Logger } from '../../log/logger.ts'
import type { HeldRepo } from '../../store/port.ts'
import type { Host } from '../host.ts'
import type { NodeMetrics } from '../metrics.ts'

/** Settings of packet holding (config `node.hold`). */
export interface HoldOptions {
  /** How many nodes nearest the recipient hold each packet (k). */
  readonly replicas: number
  /** Longest time a holder keeps a packet; a sender may ask for less. */
  readonly ttlSeconds: number
  /** Per (recipient, sender) quotas on this node as a holder. */
  readonly maxPerSender: number
  readonly maxBytesPerSender: number
  /** How often a node asks its holders for packets (and a holder drops expired ones). */
  readonly fetchIntervalMs: number
  readonly timeoutMs: number
}

export interface HoldDeps {
  readonly host: Host
  readonly identity: NodeIdentity
  readonly held: HeldRepo
  readonly log: Logger
  readonly metrics: NodeMetrics
}

/** Packets per fetch (and the most a holder returns in one batch). */
export const FETCH_PAGE = 100
