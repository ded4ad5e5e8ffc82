import { BridgeError } from '../../core/errors.ts'
import { FrameReader, FrameWriter } from './frame-io.ts'

/**
 * Frames of `/mainframe/keypackage/1.0.0` (docs/wire-groups.md): an orderer asks a peer for
 * a fresh MLS key package before adding it to a group. One length-prefixed frame each way:
 *
 *   request  01 01                                  orderer → member
 *   package  01 02 ‖ key package (u32 len)          member → orderer
 *   error    01 03 ‖ code (u8 len, A-Z0-9_) ‖ message (u16 len, UTF-8)
 */

export const KEYPACKAGE_PROTOCOL = '/mainframe/keypackage/1.0.0'
export const KEYPACKAGE_FRAME_VERSION = 0x01
/** The largest key package carried (ours are about 300 bytes). */
export const MAX_KEY_PACKAGE_BYTES = 64 * 1024
/** The largest frame read off the stream. */
export const MAX_KEYPACKAGE_FRAME_BYTES = MAX_KEY_PACKAGE_BYTES + 16
export const MAX_ERROR_MESSAGE_BYTES = 1024
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/

export type KeyPackageFrame =
  | { type: 'request' }
  | { type: 'package'; keyPackage: Uint8Array }
  | { type: 'error'; code: string; message: string }

type FrameType = KeyPackageFrame['type']
const TYPES: readonly FrameType[] = ['request', 'package', 'error']

/**
 * Encodes one frame.
 * @throws KEYPACKAGE_FRAME_INVALID (status 500, a bug of the caller) on a field the format
 *   cannot carry.
 * @example encodeKeyPackageFrame({ type: 'request' }) // 01 01
 */
export function encodeKeyPackageFrame(frame: KeyPackageFrame): Uint8Array {
  const type = (frame as { type: unknown }).type
  const index = TYPES.indexOf(type as FrameType)
  const w = new FrameWriter(
    Uint8Array.of(KEYPACKAGE_FRAME_VERSION, index + 1),
    (detail) =>
      new BridgeError('KEYPACKAGE_FRAME_INVALID', `cannot encode a ${String(type)} frame: ${detail}`, {
        hint: 'this is a bug of the caller: check the field against docs/wire-groups.md',
        status: 500,
      }),
  )
  if (index < 0) throw w.bad(`unknown type ${JSON.stringify(type)}`)
  if (frame.type === 'package') w.bytes('keyPackage', 4, frame.keyPackage, 1, MAX_KEY_PACKAGE_BYTES)
  if (frame.type === 'error') {
    w.text('code', 1, frame.code, 1, 64, ERROR_CODE)
    w.text('message', 2, frame.message, 0, MAX_ERROR_MESSAGE_BYTES)
  }
  return w.finish()
}

/**
 * Decodes one frame.
 * @throws KEYPACKAGE_FRAME_INVALID (status 400) naming what is wrong; never anything else.
 */
export function decodeKeyPackageFrame(bytes: Uint8Array): KeyPackageFrame {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected bytes')
  if (bytes.length < 2) throw invalid(`${bytes.length} bytes, shorter than its header`)
  if (bytes[0] !== KEYPACKAGE_FRAME_VERSION)
    throw invalid(`version ${bytes[0]}, this node reads version ${KEYPACKAGE_FRAME_VERSION}`)
  const type = TYPES[(bytes[1] as number) - 1]
  if (type === undefined) throw invalid(`unknown type ${bytes[1]}`)
  const r = new FrameReader(bytes, 2, (detail) => invalid(`${type}: ${detail}`))
  let frame: KeyPackageFrame
  switch (type) {
    case 'request':
      frame = { type }
      break
    case 'package':
      frame = { type, keyPackage: r.bytes('keyPackage', 4, 1, MAX_KEY_PACKAGE_BYTES) }
      break
    case 'error':
      frame = {
        type,
        code: r.text('code', 1, 1, 64, ERROR_CODE),
        message: r.text('message', 2, 0, MAX_ERROR_MESSAGE_BYTES),
      }
      break
  }
  r.end()
  return frame
}

function invalid(detail: string): BridgeError {
  return new BridgeError('KEYPACKAGE_FRAME_INVALID', `${KEYPACKAGE_PROTOCOL} frame refused: ${detail}`, {
    hint: 'the peer runs another version or sent garbage (docs/wire-groups.md)',
    status: 400,
  })
}
