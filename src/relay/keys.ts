import { createHash } from 'node:crypto'

/**
 * Keys and job ids of the pipeline. Job ids derive from the message id (and target), so a
 * retried add after a crash is the same job: BullMQ and the sqlite queue both dedupe by id.
 * None contains ':' and every one starts with a letter.
 */

export const DELIVER_QUEUE = 'deliver'
/**
 * Deliveries to Mainframe go through a queue of their own, worked only by processes that hold
 * a node (roles `all` and `node`); every other network's are on DELIVER_QUEUE (`all`, `worker`).
 */
export const NODE_DELIVER_QUEUE = 'deliver-mainframe'
export const DELIVER_QUEUES = [DELIVER_QUEUE, NODE_DELIVER_QUEUE] as const
export type DeliverQueue = (typeof DELIVER_QUEUES)[number]

/** The deliver queue of a target network. */
export function deliverQueueFor(network: string): DeliverQueue {
  return network === 'mainframe' ? NODE_DELIVER_QUEUE : DELIVER_QUEUE
}

/** A short, stable key for one endpoint of one link (16 hex digits). */
export function targetKey(linkId: string, network: string, address: string): string {
  return createHash('sha256').update(`${linkId}\u0000${network}\u0000${address}`).digest('hex').slice(0, 16)
}

/** The key of a conversation across networks (network names never contain "/"). */
export function conversationKey(conversation: { network: string; id: string }): string {
  return `${conversation.network}/${conversation.id}`
}

export function deliverJobId(messageId: string, target: string): string {
  return `d${messageId}-${target}`
}

/** Splits a deliver job id back into (message id, target key); undefined when it is not one. */
export function parseDeliverJobId(jobId: string): { messageId: string; targetKey: string } | undefined {
  const match = /^d(m[0-9a-f]{40})-([0-9a-f]{16})$/.exec(jobId)
  return match ? { messageId: match[1] as string, targetKey: match[2] as string } : undefined
}

export interface DeliverJob {
  readonly messageId: string
  readonly targetKey: string
}
