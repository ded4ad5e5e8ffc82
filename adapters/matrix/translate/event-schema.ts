import { z } from 'zod'

/**
 * The shapes of the Matrix room events the bridge reads (client-server spec, "Room events"
 * and "Instant messaging"), as zod schemas. Objects are loose: homeservers and clients add
 * fields freely and that is no reason to refuse an event. Fields the bridge never reads are
 * not checked; fields it reads are checked strictly, except media `info`, which is advice
 * (the download tells the truth) and so is dropped rather than refused when it is odd.
 */

/** `$` and an opaque id (v3+ rooms: a url-safe hash; v1–2: `$local:server`). */
export const eventIdSchema = z
  .string()
  .max(255)
  .regex(/^\$[^\s]+$/, 'an event id is "$" followed by an opaque id')

const userIdSchema = z
  .string()
  .max(255)
  .regex(/^@[^:\s]+:[^\s]+$/, 'a user id is @localpart:server')

const inReplyToSchema = z.looseObject({ event_id: eventIdSchema })

/** `m.relates_to` as any event may carry it; which combinations make sense is relation.ts's job. */
export const relatesToSchema = z.looseObject({
  rel_type: z.string().max(255).optional(),
  event_id: eventIdSchema.optional(),
  key: z.string().optional(),
  is_falling_back: z.boolean().optional(),
  'm.in_reply_to': inReplyToSchema.optional(),
})

const textFields = {
  msgtype: z.string().min(1).max(255),
  body: z.string(),
  format: z.string().optional(),
  formatted_body: z.string().optional(),
}

/** `m.new_content` of an edit: the replacement content, without relations. */
export const newContentSchema = z.looseObject(textFields)

const mediaInfoSchema = z.looseObject({
  mimetype: z.string().max(255).optional().catch(undefined),
  size: z.number().int().nonnegative().optional().catch(undefined),
})

/** Content of `m.room.message` (every msgtype) and of `m.sticker` (which has no msgtype). */
export const messageContentSchema = z.looseObject({
  ...textFields,
  filename: z.string().optional(),
  url: z.string().optional(),
  // Encrypted media: present instead of `url`; only its presence matters here.
  file: z.unknown().optional(),
  info: mediaInfoSchema.optional().catch(undefined),
  'm.relates_to': relatesToSchema.optional(),
  'm.new_content': newContentSchema.optional(),
})

export const stickerContentSchema = messageContentSchema.extend({ msgtype: z.string().optional() })

/** Content of `m.reaction`: an annotation of another event with a key (an emoji, usually). */
export const reactionContentSchema = z.looseObject({
  'm.relates_to': z.looseObject({
    rel_type: z.literal('m.annotation'),
    event_id: eventIdSchema,
    key: z.string().min(1),
  }),
})

/** Content of `m.room.redaction`; v11 rooms carry `redacts` here, older ones at the top. */
export const redactionContentSchema = z.looseObject({
  redacts: eventIdSchema.optional(),
  reason: z.string().optional(),
})

/** The envelope every room event has, as an application service receives it. */
export const roomEventSchema = z.looseObject({
  event_id: eventIdSchema,
  type: z.string().min(1).max(255),
  sender: userIdSchema,
  origin_server_ts: z.number().int().nonnegative(),
  room_id: z.string().min(1).max(255).optional(),
  state_key: z.string().optional(),
  redacts: eventIdSchema.optional(),
  content: z.record(z.string(), z.unknown()),
  unsigned: z.looseObject({ redacted_because: z.unknown().optional() }).optional().catch(undefined),
})

export type RoomEvent = z.infer<typeof roomEventSchema>
export type MessageContent = z.infer<typeof messageContentSchema>
export type StickerContent = z.infer<typeof stickerContentSchema>
export type RelatesTo = z.infer<typeof relatesToSchema>
