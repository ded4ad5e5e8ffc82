import { createHash } from 'node:crypto'
import type {
  Adapter,
  AdapterComponents,
  AdapterContext,
  AdapterFactory,
  Capabilities,
  MessageLookup,
} from '../../src/adapter.ts'
import { BridgeError } from '../../src/core/errors.ts'
import { messageId } from '../../src/core/ids.ts'
import type { BridgeMessage } from '../../src/core/message.ts'
import type { NodeIdentity } from '../../src/crypto/identity.ts'
import type { BlobRepo } from '../../src/store/blob-port.ts'
import { type AttachmentBytes, type DecodedPayload, decodePayload, encodePayload } from './payload.ts'

/** What the adapter needs from the node (src/node/node.ts): sending, and a door for inbound. */
export interface NodePort {
  /** The node's own peer id: a message from it to itself is refused. */
  readonly peerId: string
  /** The largest payload it sends (node.max_message_bytes): larger ones fail before any I/O. */
  readonly maxMessageBytes: number
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
  /**
   * Encrypts once for the group and publishes; members offline get it held. Resolves once a
   * member has it; throws (retryable) when none took it before `signal` aborted.
   */
  publish(groupId: string, plaintext: Uint8Array, options?: { signal?: AbortSignal }): Promise<unknown>
  /** Where decrypted group messages go; the adapter sets it at start. */
  onMessage(
    handler:
      | ((message: { groupId: string; from: string; plaintext: Uint8Array }) => Promise<void>)
      | undefined,
  ): void
}

/** The node's bridge identities (src/node/identities/service.ts), as the adapter uses them. */
export interface IdentitiesPort {
  /** The key that speaks for a person of another network (`subject`: their address URI). */
  speakerFor(subject: string): Promise<NodeIdentity>
  /** Whether this node hosts the bridge identity `peerId`. */
  hosts(peerId: string): Promise<boolean>
  /** The node to send to for `peerId`, and the identity it is for when `peerId` is one. */
  route(peerId: string): Promise<{ via: string; recipient?: string }>
}

const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/
const GROUP = /^group:([0-9a-f]{64})$/

/**
 * The Mainframe network as an adapter: a link endpoint `{ network: 'mainframe', address:
 * <peer id> }` is a direct conversation with that node or bridge identity, `group:<group id>`
 * a group this node is a member of (published once, encrypted for the group). Deliver seals the
 * message to the peer (the node does) and waits for its signed receipt; a message to a bridge
 * identity goes to the node its "hosted by" record names.
 *
 * A message whose sender is of another network is signed by that person's bridge identity,
 * so receivers see who spoke (`mf:<identity>`), not just which bridge relayed it.
 *
 * Attachments travel inside the sealed message (payload.ts, flag 2): deliver reads their bytes
 * from the blob store (one missing goes without its bytes), the receiver checks each against
 * its SHA-256 and size and stores it before it ingests. A payload over node.max_message_bytes
 * (node.max_message_bytes, for groups too) fails at deliver with MAINFRAME_PAYLOAD_TOO_LARGE, not
 * retried.
 *
 * Inbound: a direct message enters the pipeline in conversation `mainframe/<sender node>`,
 * or `mainframe/<identity>` when addressed to a bridge identity this node hosts (its inbox);
 * a group message in `mainframe/group:<id>`. The sender is the verified speaker when signed,
 * else the sending node. A receipt goes back only once the pipeline has persisted it.
 */
export const mainframe =
  (node: NodePort, groups?: GroupsPort, identities?: IdentitiesPort, blobs?: BlobRepo): AdapterFactory =>
  (components: AdapterComponents): Adapter => {
    const capabilities: Capabilities = {
      kinds: new Set(['text', 'notice', 'emote', 'media', 'reaction', 'edit', 'redaction', 'chain-event']),
      html: true,
      maxBytes: node.maxMessageBytes,
      // A group's members and a peer read a conversation in the order it was said.
      ordered: true,
    }
    const log = components.log
    /** The bridge identity that speaks a message, when its sender is of another network. */
    const speakerOf = async (msg: BridgeMessage): Promise<NodeIdentity | undefined> =>
      identities && !msg.origin.sender.startsWith('mf:')
        ? identities.speakerFor(msg.origin.sender)
        : undefined
    /** The decoded files into the blob store, before their message is ingested. */
    const keep = async (decoded: DecodedPayload): Promise<void> => {
      const { files } = decoded
      if (files === undefined || blobs === undefined) return
      for (const [i, file] of files.entries()) {
        const attachment = decoded.message.attachments[i]
        if (file !== undefined && attachment !== undefined) await blobs.put(file, attachment.mediaType)
      }
    }
    return {
      network: 'mainframe',
      capabilities,
      async start(ctx: AdapterContext) {
        node.onDirect(async ({ mid, from, payload }) => {
          const decoded = decodePayload(payload, (recipient) => `peer:${recipient ?? node.peerId}`)
          if (decoded.recipient !== undefined && !(await identities?.hosts(decoded.recipient)))
            throw notHosted(decoded.recipient)
          const nativeId = Buffer.from(mid).toString('hex')
          const msg = received(decoded, nativeId, from, decoded.recipient ?? from)
          await keep(decoded)
          const result = await ctx.ingest(msg)
          log.debug({ id: result.id, duplicate: result.duplicate, from }, 'mainframe message ingested')
        })
        groups?.onMessage(async ({ groupId, from, plaintext }) => {
          const decoded = decodePayload(plaintext, () => `group:${groupId}`)
          // The sender's own message id keeps a group message's id stable, however it came.
          const msg = await relationsFromGroup(
            received(decoded, `${groupId}/${decoded.message.id}`, from, `group:${groupId}`),
            groupId,
            components.messages,
          )
          // A group message cannot be fetched again once decrypted (the ratchet moved on):
          // a store or queue hiccup is waited out here rather than losing it.
          await ingestPatiently(async () => {
            await keep(decoded)
            return ctx.ingest(msg)
          }, ctx.signal)
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
          const groupId = group[1] as string
          const speaker = await speakerOf(msg)
          const wire = await relationsToGroup(msg, groupId, components.messages)
          // One gossipsub frame, which members read up to max_message_bytes plus room for MLS.
          const files = await filesOf(msg, node.maxMessageBytes, blobs, 'a group message')
          await groups.publish(
            groupId,
            encodePayload(wire, { speaker, context: `group:${groupId}` }, files),
            {
              signal,
            },
          )
          return { nativeId: `group:${groupId}`, deliveredAt: Date.now() }
        }
        if (!PEER_ID.test(target.address))
          throw new BridgeError(
            'MAINFRAME_TARGET_INVALID',
            `"${target.address.slice(0, 80)}" is not a peer id`,
            {
              hint: 'a mainframe endpoint address is the peer id of a node or bridge identity (12D3KooW…) or group:<group id>',
              status: 400,
            },
          )
        if (target.address === node.peerId || (await identities?.hosts(target.address)))
          throw new BridgeError(
            'MAINFRAME_TARGET_INVALID',
            'a link cannot deliver to this node or to an identity it hosts',
            {
              hint: "to take messages sent to a hosted identity, make its inbox (mainframe/<identity>) a link's source",
              status: 400,
            },
          )
        const route = identities ? await identities.route(target.address) : { via: target.address }
        const files = await filesOf(msg, node.maxMessageBytes, blobs, 'a direct message')
        const payload = encodePayload(
          msg,
          { speaker: await speakerOf(msg), recipient: route.recipient, context: `peer:${target.address}` },
          files,
        )
        // The same id on every retry of this delivery, so the recipient dedupes.
        const mid = createHash('sha256')
          .update(`mainframe/mid/v1\u0000${msg.id}\u0000${target.address}`)
          .digest()
        const outcome = await node.send(route.via, payload, { mid, signal })
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

/*
 * Relations in a group. Each bridge gives a message its own id, so a reply cannot name its
 * target by a local id. In a group, a message's group-wide id is the id its publisher gave it
 * (the payload's `id`); a bridge that received it knows it as messageId("mainframe",
 * "<group>/<group-wide id>"), with origin nativeId "<group>/<group-wide id>". Relations go out
 * as group-wide ids and come in as local ones.
 */

/** `msg` with its relation's target as its group-wide id. */
async function relationsToGroup(
  msg: BridgeMessage,
  groupId: string,
  messages: MessageLookup,
): Promise<BridgeMessage> {
  if (!('relatesTo' in msg) || msg.relatesTo === undefined) return msg
  const origin = await messages.origin(msg.relatesTo.messageId)
  const prefix = `${groupId}/`
  if (origin?.network !== 'mainframe' || !origin.nativeId.startsWith(prefix)) return msg
  return {
    ...msg,
    relatesTo: { ...msg.relatesTo, messageId: origin.nativeId.slice(prefix.length) },
  } as BridgeMessage
}

/** `msg` with its relation's group-wide target as the id this bridge knows it by. */
async function relationsFromGroup(
  msg: BridgeMessage,
  groupId: string,
  messages: MessageLookup,
): Promise<BridgeMessage> {
  if (!('relatesTo' in msg) || msg.relatesTo === undefined) return msg
  const target = msg.relatesTo.messageId
  // A target this bridge published keeps its id; any other is known by its group-derived one.
  if (await messages.origin(target)) return msg
  const local = messageId('mainframe', `${groupId}/${target}`)
  return { ...msg, relatesTo: { ...msg.relatesTo, messageId: local } } as BridgeMessage
}

/** A received message as this side ingests it: its own id, origin and conversation. */
function received(
  decoded: DecodedPayload,
  nativeId: string,
  from: string,
  conversation: string,
): BridgeMessage {
  return {
    ...decoded.message,
    id: messageId('mainframe', nativeId),
    origin: {
      network: 'mainframe',
      nativeId,
      sender: `mf:${decoded.speaker ?? from}`,
      // A name comes with a message its speaker signed (a name for the node alone means nothing).
      ...(decoded.speaker && decoded.message.origin.displayName
        ? { displayName: decoded.message.origin.displayName }
        : {}),
    },
    conversation: { network: 'mainframe', id: conversation },
  } as BridgeMessage
}

/** Bytes a payload needs beside its JSON and files: header, keys, signature, lengths. */
const PAYLOAD_OVERHEAD = 2 + 32 + 32 + 64 + 4

/**
 * The bytes of `msg`'s attachments from the blob store, in order (undefined: not stored, sent
 * without), after checking that the payload stays within `limit` bytes.
 * @throws MAINFRAME_PAYLOAD_TOO_LARGE (413, not retryable) when it would not; store errors.
 */
async function filesOf(
  msg: BridgeMessage,
  limit: number,
  blobs: BlobRepo | undefined,
  what: string,
): Promise<AttachmentBytes> {
  if (msg.attachments.length === 0) return []
  const stored = blobs ? await blobs.has(msg.attachments.map((a) => a.hash)) : new Set<string>()
  let size = PAYLOAD_OVERHEAD + Buffer.byteLength(JSON.stringify(msg))
  for (const a of msg.attachments) size += 4 + (stored.has(a.hash) ? a.size : 0)
  if (size > limit) throw tooLarge(size, limit, what)
  const files: (Uint8Array | undefined)[] = []
  for (const a of msg.attachments)
    files.push(stored.has(a.hash) ? (await blobs?.get(a.hash))?.bytes : undefined)
  return files
}

function tooLarge(size: number, limit: number, what: string): BridgeError {
  return new BridgeError(
    'MAINFRAME_PAYLOAD_TOO_LARGE',
    `${what} with its attachments would be ${size.toLocaleString('en')} bytes, the limit is ${limit.toLocaleString('en')}`,
    {
      hint: [
        'send smaller files, or share a link to the file instead',
        'a direct message carries up to node.max_message_bytes (raise it on both nodes); a group message up to 4 MiB less 64 KiB',
      ],
      status: 413,
    },
  )
}

function notHosted(identity: string): BridgeError {
  return new BridgeError('MAINFRAME_NOT_HOSTED', `this node does not host the identity ${identity}`, {
    hint: 'the sender used a stale hosted-by record; it looks the identity up again',
    status: 404,
  })
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
