import type { Connection, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { BridgeError } from '../../core/errors.ts'
import {
  decodeHoldFrame,
  encodeHoldFrame,
  HOLD_PROTOCOL,
  type HoldFrame,
  MAX_FRAME_BYTES,
  MAX_PACKET_BYTES,
} from './frames.ts'
import { FETCH_PAGE, type HoldDeps, type HoldOptions } from './options.ts'

/**
 * The holder's side of /mainframe/hold/1.0.0: answers store, fetch and ack frames until the
 * stream ends. Packets are served only to their recipient, as Noise authenticated it.
 */
export async function serveHold(
  deps: HoldDeps,
  options: HoldOptions,
  stream: Stream,
  connection: Connection,
): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
  const peer = connection.remotePeer.toString()
  try {
    for (;;) {
      let bytes: Uint8Array
      try {
        bytes = (await lp.read({ signal: AbortSignal.timeout(options.timeoutMs) })).subarray()
      } catch {
        break // the client closed its side, or went quiet
      }
      await lp.write(encodeHoldFrame(await answer(deps, options, decodeHoldFrame(bytes), peer)))
    }
    await stream.close().catch(() => {})
  } catch (err) {
    const reason = err instanceof BridgeError ? err.code : 'HOLD_STREAM_FAILED'
    deps.metrics.dropped(HOLD_PROTOCOL, reason)
    deps.log.warn(
      { peer, reason },
      `hold request dropped: ${err instanceof BridgeError ? err.shortMessage : reason}`,
    )
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

async function answer(
  deps: HoldDeps,
  options: HoldOptions,
  frame: HoldFrame,
  peer: string,
): Promise<HoldFrame> {
  switch (frame.type) {
    case 'store': {
      if (frame.packet.length > Math.min(MAX_PACKET_BYTES, options.maxBytesPerSender))
        return { type: 'stored', id: frame.id, result: 'too-large' }
      if (frame.recipient === deps.host.peerId.toString())
        return { type: 'error', code: 'HOLD_SELF', message: 'this node is the recipient: send it directly' }
      const ttl = Math.min(frame.ttlSeconds, options.ttlSeconds)
      const result = await deps.held.put(
        {
          id: frame.id,
          recipient: frame.recipient,
          sender: peer,
          packet: frame.packet,
          expiresAt: Date.now() + ttl * 1000,
        },
        { maxPerSender: options.maxPerSender, maxBytesPerSender: options.maxBytesPerSender },
      )
      if (result === 'quota') deps.metrics.dropped(HOLD_PROTOCOL, 'HOLD_QUOTA')
      return { type: 'stored', id: frame.id, result }
    }
    case 'fetch': {
      // Only the recipient itself, as Noise authenticated it, gets its packets.
      const page = await deps.held.listFor(peer, {
        limit: Math.min(frame.limit, FETCH_PAGE),
        ...(frame.after ? { after: frame.after } : {}),
      })
      const packets: { id: string; sender: string; packet: Uint8Array }[] = []
      let size = 0
      for (const p of page.packets) {
        size += p.size + 128
        if (packets.length > 0 && size > MAX_FRAME_BYTES - 1024) break
        packets.push({ id: p.id, sender: p.sender, packet: p.packet })
      }
      return { type: 'batch', packets, more: page.more || packets.length < page.packets.length }
    }
    case 'ack':
      return { type: 'acked', count: await deps.held.ack(peer, frame.ids) }
    default:
      return {
        type: 'error',
        code: 'HOLD_UNEXPECTED_FRAME',
        message: `a holder does not take ${frame.type} frames`,
      }
  }
}
