import { createHash } from 'node:crypto'
import type {
  Adapter,
  AdapterComponents,
  AdapterContext,
  AdapterFactory,
  Capabilities,
} from '../../src/adapter.ts'
import { BridgeError } from '../../src/core/errors.ts'
import { messageId } from '../../src/core/ids.ts'
import type { BridgeMessage } from '../../src/core/message.ts'
import { decodePayload, encodePayload } from './payload.ts'

/** What the adapter needs from the node (src/node/node.ts): sending, and a door for inbound. */
export interface NodePort {
  /** The node's own peer id: a message from it to itself is refused. */
  readonly peerId: string
  /**
   * Sends a payload to a peer: resolves with the recipient's verified receipt, or, when the
   * peer is offline, once nodes near it hold the message for it.
   */
  send(
    peerId: string,
    payload: Uint8Array,
    options: { mid: Uint8Array; signal: AbortSignal },
  ): Promise<{ kind: 'delivered'; receipt: { deliveredAt: number } } | { kind: 'held'; at: number }>
  /** Where the node hands inbound direct messages; the adapter sets it at start. */
  onDirect(
    handler: ((message: { mid: Uint8Array; from: string; payload: Uint8Array }) => Promise<void>) | undefined,
  ): void
}

/** A node's groups, as the adapter uses them (src/node/groups/service.ts). */
export interface GroupsPort {
  /** Encrypts once for the group and publishes; members offline get it held. */
  publish(groupId: string, plaintext: Uint8Array): Promise<unknown>
  /** Where decrypted group messages go; the adapter sets it at start. */
  onMessage(
    handler:
      | ((message: { groupId: string; from: string; plaintext: Uint8Array }) => Promise<void>)
      | undefined,
  ): void
}

const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/
const GROUP = /^group:([0-9a-f]{64})$/

/**
 * The Mainframe network as an adapter: a link endpoint `{ network: 'mainframe', address:
 * <peer id> }` is a direct conversation with that node, `group:<group id>` a group this node
 * is a member of (published once, encrypted for the group; received as conversation
 * `mainframe/group:<id>` with the member's peer id as sender). Deliver seals the message to the peer
 * (the node does) and waits for its signed receipt; a direct message from a peer enters the
 * pipeline as a message of conversation `mainframe/<its peer id>`, and its receipt goes back
 * only once the pipeline has persisted it.
 */
export const mainframe =
  (node: NodePort, groups?: GroupsPort): AdapterFactory =>
  (components: AdapterComponents): Adapter => {
    const capabilities: Capabilities = {
      kinds: new Set(['text', 'notice', 'emote', 'media', 'reaction', 'edit', 'redaction', 'chain-event']),
      html: true,
      maxBytes: 16 * 1024 * 1024,
    }
    const log = components.log
    return {
      network: 'mainframe',
      capabilities,
      async start(ctx: AdapterContext) {
        node.onDirect(async ({ mid, from, payload }) => {
          const inner = decodePayload(payload)
          const nativeId = Buffer.from(mid).toString('hex')
          const msg = { ...inner, ...inbound(nativeId, from) } as BridgeMessage
          const result = await ctx.ingest(msg)
          log.debug({ id: result.id, duplicate: result.duplicate, from }, 'mainframe message ingested')
        })
        groups?.onMessage(async ({ groupId, from, plaintext }) => {
          const inner = decodePayload(plaintext)
          // The sender's own message id keeps a group message's id stable, however it came.
          const nativeId = `${groupId}/${inner.id}`
          const msg = {
            ...inner,
            id: messageId('mainframe', nativeId),
            origin: { network: 'mainframe', nativeId, sender: `mf:${from}` },
            conversation: { network: 'mainframe', id: `group:${groupId}` },
          } as BridgeMessage
          // A group message cannot be fetched again once decrypted (the ratchet moved on):
          // a store or queue hiccup is waited out here rather than losing it.
          await ingestPatiently(() => ctx.ingest(msg), ctx.signal)
        })
      },
      async deliver(msg, target, signal) {
        const group = GROUP.exec(target.address)
        if (group) {
          if (!groups)
            throw new BridgeError('MAINFRAME_GROUPS_OFF', 'this process runs no group service', {
              hint: 'group endpoints are delivered by processes of role all or node',
              retryable: true,
              status: 503,
            })
          await groups.publish(group[1] as string, encodePayload(msg))
          return { nativeId: `group:${group[1]}`, deliveredAt: Date.now() }
        }
        if (!PEER_ID.test(target.address))
          throw new BridgeError(
            'MAINFRAME_TARGET_INVALID',
            `"${target.address.slice(0, 80)}" is not a peer id`,
            {
              hint: 'a mainframe endpoint address is the peer id of a node (12D3KooW…) or group:<group id>',
              status: 400,
            },
          )
        if (target.address === node.peerId)
          throw new BridgeError('MAINFRAME_TARGET_INVALID', 'a link cannot deliver to this node itself', {
            status: 400,
          })
        // The same id on every retry of this delivery, so the recipient dedupes.
        const mid = createHash('sha256')
          .update(`mainframe/mid/v1\u0000${msg.id}\u0000${target.address}`)
          .digest()
        const outcome = await node.send(target.address, encodePayload(msg), { mid, signal })
        // A held message counts as delivered to the network: its recipient fetches it from the
        // holders (nativeId says so), and dedupes it by mid if a retry also gets through.
        if (outcome.kind === 'held')
          return { nativeId: `held:${mid.toString('hex')}`, deliveredAt: outcome.at }
        return { nativeId: mid.toString('hex'), deliveredAt: outcome.receipt.deliveredAt }
      },
      async stop() {
        node.onDirect(undefined)
        groups?.onMessage(undefined)
      },
    }
  }

/** The fields a received message gets on this side: its own id, origin and conversation. */
function inbound(nativeId: string, from: string): Pick<BridgeMessage, 'id' | 'origin' | 'conversation'> {
  return {
    id: messageId('mainframe', nativeId),
    origin: { network: 'mainframe', nativeId, sender: `mf:${from}` },
    conversation: { network: 'mainframe', id: from },
  }
}

/** Retries a retryable ingest failure with backoff (1 s doubling, about a minute in all). */
async function ingestPatiently(ingest: () => Promise<unknown>, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ingest()
      return
    } catch (err) {
      if (!(err instanceof BridgeError && err.retryable) || attempt >= 6 || signal.aborted) throw err
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)))
    }
  }
}
