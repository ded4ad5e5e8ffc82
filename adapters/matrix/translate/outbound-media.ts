import type { Attachment, BridgeMessage } from '../../../src/core/message.ts'
import {
  type Formatted,
  formatted,
  type MediaContent,
  type MediaMsgtype,
  type OutgoingEvent,
  type Relation,
  withNote,
} from './content.ts'
import type { MxcUri } from './mxc.ts'

type MediaMessage = Extract<BridgeMessage, { kind: 'media' }>

/**
 * The events of a media message: one per uploaded attachment (Matrix has one file per
 * event), the caption on the first; then, for attachments that were not uploaded (over the
 * size limit, or their download failed), one notice naming them, so that the room knows a
 * file was sent. A caption whose files all failed goes as a text message of its own.
 */
export function mediaEvents(
  msg: MediaMessage,
  relation: Relation | undefined,
  note: string | undefined,
  uploaded: ReadonlyMap<string, MxcUri>,
): [OutgoingEvent, ...OutgoingEvent[]] {
  const related = relation === undefined ? {} : { 'm.relates_to': relation }
  const caption = formatted(msg.body)
  const sent: OutgoingEvent[] = []
  const missing: Attachment[] = []
  for (const attachment of msg.attachments) {
    const url = uploaded.get(attachment.hash)
    if (url === undefined) {
      missing.push(attachment)
      continue
    }
    // Matrix 1.10: `body` differing from `filename` is the caption.
    const first = sent.length === 0
    const body: Formatted = withNote(
      first && caption.body !== '' ? caption : { body: attachment.name },
      first ? note : undefined,
    )
    const content: MediaContent = {
      msgtype: msgtypeOf(attachment.mediaType),
      ...body,
      filename: attachment.name,
      url,
      info: { mimetype: attachment.mediaType, size: attachment.size },
      ...related,
    }
    sent.push({ type: 'm.room.message', content })
  }
  if (sent.length === 0 && (caption.body !== '' || note !== undefined))
    sent.push({
      type: 'm.room.message',
      content: { msgtype: 'm.text', ...withNote(caption, note), ...related },
    })
  if (missing.length > 0)
    sent.push({
      type: 'm.room.message',
      content: { msgtype: 'm.notice', body: describeMissing(missing), ...related },
    })
  return sent as [OutgoingEvent, ...OutgoingEvent[]]
}

/**
 * The msgtype for a media type. SVG goes as a plain file: it is a document that may carry
 * script, and clients that render images inline should not be handed one.
 */
export function msgtypeOf(mediaType: string): MediaMsgtype {
  if (mediaType === 'image/svg+xml') return 'm.file'
  if (mediaType.startsWith('image/')) return 'm.image'
  if (mediaType.startsWith('video/')) return 'm.video'
  if (mediaType.startsWith('audio/')) return 'm.audio'
  return 'm.file'
}

function describeMissing(missing: readonly Attachment[]): string {
  const lines = missing.map((a) => `${a.name} (${a.mediaType}, ${size(a.size)})`)
  const head = missing.length === 1 ? 'A file could not be shown here:' : 'Files could not be shown here:'
  return [head, ...lines].join('\n')
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}
