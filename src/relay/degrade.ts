import type { Capabilities } from '../adapter.ts'
import type { BridgeMessage } from '../core/message.ts'

/**
 * Renders a message the target cannot carry natively as plain text, so nothing is dropped:
 * a reaction becomes "reacted 👍 to …", an edit "edited: …", a chain event a summary line.
 * The result keeps id, origin and conversation; its kind is `text` (or `notice` for
 * machine-made events).
 */
export function degrade(msg: BridgeMessage, capabilities: Capabilities): BridgeMessage {
  const withBody =
    capabilities.html || msg.body.html === undefined ? msg : { ...msg, body: { text: msg.body.text } }
  if (capabilities.kinds.has(msg.kind)) return withBody
  const base = {
    id: msg.id,
    origin: msg.origin,
    conversation: msg.conversation,
    timestamp: msg.timestamp,
    attachments: capabilities.kinds.has('media') ? msg.attachments : [],
  }
  const text = describe(msg)
  const kind = msg.kind === 'chain-event' || msg.kind === 'notice' ? 'notice' : 'text'
  if (!capabilities.kinds.has(kind)) return { ...base, kind: 'text', body: { text } }
  return { ...base, kind, body: { text } }
}

function describe(msg: BridgeMessage): string {
  switch (msg.kind) {
    case 'reaction':
      return `reacted ${msg.relatesTo.key} to ${msg.relatesTo.messageId}`
    case 'edit':
      return `edited ${msg.relatesTo.messageId}: ${msg.body.text}`
    case 'redaction':
      return `deleted ${msg.relatesTo.messageId}${msg.body.text ? ` (${msg.body.text})` : ''}`
    case 'emote':
      return `* ${msg.origin.sender} ${msg.body.text}`
    case 'media':
      return [
        msg.body.text,
        ...msg.attachments.map((a) => `[${a.mediaType}] ${a.name} (${a.size} bytes, sha256 ${a.hash})`),
      ]
        .filter(Boolean)
        .join('\n')
    case 'chain-event': {
      const e = msg.chainEvent
      return `${msg.body.text || 'chain event'} — ${e.chainId} ${e.address} tx ${e.txHash} log ${e.logIndex} block ${e.blockNumber}`
    }
    default:
      return msg.body.text
  }
}
