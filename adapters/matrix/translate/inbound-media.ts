import type { MessageId } from '../../../src/core/ids.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../../src/core/message.ts'
import { parseWith } from '../../../src/core/validate.ts'
import { HTML, type MediaMsgtype } from './content.ts'
import { envelope, type InboundContext, overLimit } from './context.ts'
import type { RoomEvent, StickerContent } from './event-schema.ts'
import { answers, readBody } from './inbound-text.ts'
import { isMxcUri, type MxcUri } from './mxc.ts'
import { finish, type Refusal, refuse } from './outcome.ts'
import { conversational, type MatrixRelation } from './relation.ts'

export type MediaMessage = Extract<BridgeMessage, { kind: 'media' }>

/** The file an event points at, as the sender described it (the download tells the truth). */
export interface MediaSource {
  readonly msgtype: MediaMsgtype
  readonly url: MxcUri
  /** A safe file name: no path, no control characters, 1–255 characters. */
  readonly name: string
  readonly mediaType?: string
  readonly declaredSize?: number
}

/**
 * A media message waiting for its file. The schema names attachments by the SHA-256 of
 * their content, which only the download can give, so translation stops here: the adapter
 * fetches `source.url` (authenticated media, with its size limit), then calls completeMedia.
 */
export interface PendingMedia {
  readonly outcome: 'media'
  readonly source: MediaSource
  readonly message: Omit<MediaMessage, 'attachments'>
}

/** What the download found. */
export interface FetchedMedia {
  readonly hash: string
  readonly size: number
  /** The media type the server answered with, when it is better than the declared one. */
  readonly mediaType?: string
}

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/
const OCTETS = 'application/octet-stream'
// A well-formed stand-in, only to check the rest of the message before the download.
const PLACEHOLDER = { hash: '0'.repeat(64), name: 'x', mediaType: OCTETS, size: 0 }

/**
 * `m.image`, `m.file`, `m.video`, `m.audio` and stickers → a pending media message. Since
 * Matrix 1.10 a `filename` different from `body` makes `body` (and `formatted_body`) a
 * caption; otherwise `body` is the file name and there is no caption.
 */
export function mediaMessage(
  msgtype: MediaMsgtype,
  event: RoomEvent,
  content: StickerContent,
  relation: MatrixRelation,
  id: MessageId,
  ctx: InboundContext,
): PendingMedia | Refusal {
  if (content.url === undefined && content.file !== undefined)
    return refuse('MATRIX_ENCRYPTED', 'file not bridged: encrypted media is not bridged yet')
  if (!isMxcUri(content.url))
    return refuse('MATRIX_EVENT_INVALID', `file not bridged: ${msgtype} without an mxc:// url`)
  const declaredSize = content.info?.size
  if (ctx.maxMediaBytes !== undefined && declaredSize !== undefined && declaredSize > ctx.maxMediaBytes)
    return refuse(
      'MATRIX_MEDIA_TOO_LARGE',
      `file not bridged: it is ${declaredSize.toLocaleString('en')} bytes, the limit is ${ctx.maxMediaBytes.toLocaleString('en')}`,
    )
  const captioned = content.filename !== undefined && content.filename !== content.body
  const html = captioned && content.format === HTML ? content.formatted_body : undefined
  const tooLarge = overLimit(ctx, captioned ? content.body : undefined, html)
  if (tooLarge) return tooLarge
  const relatesTo = conversational(relation, ctx.resolve)
  const message: PendingMedia['message'] = {
    ...envelope(event, id, ctx),
    kind: 'media',
    body: captioned ? readBody(content, answers(relation)) : { text: '' },
    ...(relatesTo ? { relatesTo } : {}),
  }
  const checked = finish({ ...message, attachments: [PLACEHOLDER] })
  if (checked.outcome === 'refuse') return checked
  const mimetype = content.info?.mimetype
  const source: MediaSource = {
    msgtype,
    url: content.url,
    name: safeFileName(content.filename ?? content.body, msgtype),
    ...(mimetype !== undefined && MEDIA_TYPE.test(mimetype) ? { mediaType: mimetype.toLowerCase() } : {}),
    ...(declaredSize === undefined ? {} : { declaredSize }),
  }
  return { outcome: 'media', source, message }
}

/**
 * The media message, once its file is fetched.
 * @throws InvalidInputError `MATRIX_MEDIA_INVALID` when `fetched` is not a SHA-256 hex
 *   digest and a byte count (a bug in the caller, not in the event).
 */
export function completeMedia(pending: PendingMedia, fetched: FetchedMedia): BridgeMessage {
  const served = fetched.mediaType?.toLowerCase()
  const mediaType =
    served !== undefined && MEDIA_TYPE.test(served) && served !== OCTETS
      ? served
      : (pending.source.mediaType ?? served ?? OCTETS)
  const message: MediaMessage = {
    ...pending.message,
    attachments: [{ hash: fetched.hash, name: pending.source.name, mediaType, size: fetched.size }],
  }
  return parseWith(bridgeMessageSchema, message, 'Matrix media message', 'MATRIX_MEDIA_INVALID')
}

/**
 * A file name safe to hand to any network (a mail attachment, a file system): the last path
 * segment, without control characters, at most 255 UTF-16 units and never a cut surrogate.
 */
export function safeFileName(raw: string, msgtype: MediaMsgtype): string {
  const last = raw.split(/[/\\]/).pop() ?? ''
  const cleaned = last
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .replace(/^\.+$/, '')
  let name = ''
  for (const ch of cleaned) {
    if (name.length + ch.length > 255) break
    name += ch
  }
  return name === '' ? msgtype.slice(2) : name
}
