import { z } from 'zod'
import { parseAddress } from './address.ts'
import { isMessageId } from './ids.ts'

/**
 * The canonical BridgeMessage: every network translates to and from it. The zod schema is
 * the single source: the TypeScript type is inferred from it and the OpenAPI document is
 * generated from it. Kinds that need extra data carry it in a field only they have
 * (`relatesTo` for reactions, edits and redactions; `chainEvent` for chain events), so a
 * reaction without a target or a chain event without its log cannot be built.
 */

export const addressUri = z
  .string()
  .max(512)
  .refine(
    (value) => {
      try {
        parseAddress(value)
        return true
      } catch {
        return false
      }
    },
    { message: 'not a valid address URI (mf:…, matrix:…, mailto:…, eip155:<chain>:<0x…>)' },
  )
  .meta({ description: 'Address URI', example: 'matrix:@alice:example.com' })

export const messageIdSchema = z
  .string()
  .refine((value: string): boolean => isMessageId(value), {
    message: 'a message id is "m" followed by 40 lower-case hex digits',
  })
  .meta({ example: 'm3f1c9a0d6b2e4f8a7c5d3b1e9f0a2c4d6e8b0a1c' })

export const networkName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, starting with a letter')

const hex = (bytes?: number) =>
  z
    .string()
    .regex(bytes ? new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`) : /^0x([0-9a-f]{2})*$/, 'lower-case 0x hex')

export const originSchema = z
  .object({
    network: networkName,
    nativeId: z.string().min(1).max(1024),
    sender: addressUri,
    displayName: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .meta({ description: "The sender's name as their network shows it (not verified)" }),
  })
  .strict()

export const conversationSchema = z
  .object({
    network: networkName,
    id: z.string().min(1).max(1024),
  })
  .strict()
  .meta({ description: 'The bridged conversation: a group, room, mail thread or event topic.' })

export const bodySchema = z
  .object({
    text: z.string().max(1_000_000),
    html: z.string().max(2_000_000).optional().meta({ description: 'Sanitized HTML' }),
  })
  .strict()

export const attachmentSchema = z
  .object({
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 of the content, lower-case hex'),
    name: z.string().min(1).max(255),
    mediaType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a media type such as image/png'),
    size: z.number().int().nonnegative(),
  })
  .strict()

const relation = <T extends string>(type: T) =>
  z.object({ type: z.literal(type), messageId: messageIdSchema }).strict()

export const replySchema = relation('reply')
export const threadSchema = relation('thread')

export const chainEventSchema = z
  .object({
    chainId: z.string().regex(/^eip155:[1-9]\d{0,31}$/, 'a CAIP-2 chain id such as eip155:1'),
    address: hex(20),
    txHash: hex(32),
    logIndex: z.number().int().nonnegative(),
    blockNumber: z.number().int().nonnegative(),
    blockHash: hex(32),
    topics: z.array(hex(32)).max(4),
    data: hex(),
    args: z.record(z.string(), z.unknown()),
  })
  .strict()

const base = {
  id: messageIdSchema,
  origin: originSchema,
  conversation: conversationSchema,
  timestamp: z.number().int().nonnegative().meta({ description: 'Origin time, epoch milliseconds' }),
  body: bodySchema,
  attachments: z.array(attachmentSchema).max(64).default([]),
}

const conversational = { ...base, relatesTo: z.union([replySchema, threadSchema]).optional() }

export const bridgeMessageSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('text'), ...conversational }).strict(),
    z.object({ kind: z.literal('notice'), ...conversational }).strict(),
    z.object({ kind: z.literal('emote'), ...conversational }).strict(),
    z
      .object({
        kind: z.literal('media'),
        ...conversational,
        attachments: z.array(attachmentSchema).min(1).max(64),
      })
      .strict(),
    z
      .object({
        kind: z.literal('reaction'),
        ...base,
        relatesTo: relation('reaction')
          .extend({ key: z.string().min(1).max(64) })
          .strict(),
      })
      .strict(),
    z.object({ kind: z.literal('edit'), ...base, relatesTo: relation('edit') }).strict(),
    z.object({ kind: z.literal('redaction'), ...base, relatesTo: relation('redaction') }).strict(),
    z.object({ kind: z.literal('chain-event'), ...base, chainEvent: chainEventSchema }).strict(),
  ])
  .meta({ id: 'BridgeMessage', description: 'The canonical message every network translates to and from.' })

export type BridgeMessage = z.infer<typeof bridgeMessageSchema>
export type MessageKind = BridgeMessage['kind']
export type Attachment = z.infer<typeof attachmentSchema>
export type ChainEvent = z.infer<typeof chainEventSchema>

export const MESSAGE_KINDS = [
  'text',
  'notice',
  'emote',
  'media',
  'reaction',
  'edit',
  'redaction',
  'chain-event',
] as const satisfies readonly MessageKind[]
