import { BridgeError } from '../../core/errors.ts'
import { MAX_FRAME_BYTES } from './frames.ts'

/**
 * A message kept for an offline peer is its envelope frames, as the sender would have written
 * them on /mainframe/msg/1.0.0: each as a 4-byte big-endian length and the frame. The holder
 * sees only sealed boxes; the recipient opens them exactly as if they came on a stream.
 */
export function packFrames(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0))
  const view = new DataView(out.buffer)
  let at = 0
  for (const frame of frames) {
    view.setUint32(at, frame.length)
    out.set(frame, at + 4)
    at += 4 + frame.length
  }
  return out
}

/** @throws DIRECT_FRAME_INVALID when the packet is not a sequence of length-prefixed frames. */
export function unpackFrames(packet: Uint8Array): Uint8Array[] {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength)
  const frames: Uint8Array[] = []
  let at = 0
  while (at < packet.length) {
    if (at + 4 > packet.length) throw invalid('a length is cut short')
    const length = view.getUint32(at)
    if (length === 0 || length > MAX_FRAME_BYTES) throw invalid(`a frame of ${length} bytes`)
    if (at + 4 + length > packet.length) throw invalid('a frame is cut short')
    frames.push(packet.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  if (frames.length === 0) throw invalid('it is empty')
  return frames
}

function invalid(detail: string): BridgeError {
  return new BridgeError('DIRECT_FRAME_INVALID', `a held packet is malformed: ${detail}`, { status: 400 })
}
