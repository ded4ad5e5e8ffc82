import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import {
  type ControlPayload,
  decodeControl,
  encodeControl,
} from '../../../../src/node/groups/control-frames.ts'
import {
  decodeKeyPackageFrame,
  encodeKeyPackageFrame,
  type KeyPackageFrame,
} from '../../../../src/node/groups/keypackage-frames.ts'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'))
const id = fc.uint8Array({ minLength: 32, maxLength: 32 })
const epoch = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
const blob = fc.uint8Array({ minLength: 1, maxLength: 300 })
const topic = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex)

const control: fc.Arbitrary<ControlPayload> = fc.oneof(
  fc.record({ type: fc.constant('welcome' as const), groupId: id, epoch, topic, welcome: blob }),
  fc.record({ type: fc.constant('commit' as const), groupId: id, epoch, commit: blob }),
  fc.record({ type: fc.constant('message' as const), groupId: id, epoch, ciphertext: blob }),
)
const code = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/)
const keyFrame: fc.Arbitrary<KeyPackageFrame> = fc.oneof(
  fc.constant({ type: 'request' as const }),
  fc.record({ type: fc.constant('package' as const), keyPackage: blob }),
  fc.record({ type: fc.constant('error' as const), code, message: fc.string({ maxLength: 200 }) }),
)

/** Runs `fn`, which must throw a BridgeError of `code` with status 400; returns its message. */
function refused(fn: () => unknown, code: string): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe(code)
    expect((err as BridgeError).status).toBe(400)
    return (err as BridgeError).shortMessage
  }
  throw new Error('expected a refusal')
}

describe('group control payloads', () => {
  test('a known vector', () => {
    const bytes = encodeControl({
      type: 'commit',
      groupId: new Uint8Array(32).fill(0xab),
      epoch: 3n,
      commit: unhex('c0ffee'),
    })
    expect(hex(bytes)).toBe(`020102${'ab'.repeat(32)}0000000000000003 00000003 c0ffee`.replace(/\s/g, ''))
  })

  test.prop([control])('round trip', (payload) => {
    expect(decodeControl(encodeControl(payload))).toEqual(payload)
  })

  test.prop([control, fc.nat()])('every truncation is refused', (payload, cut) => {
    const bytes = encodeControl(payload)
    refused(() => decodeControl(bytes.subarray(0, cut % bytes.length)), 'GROUP_CONTROL_INVALID')
  })

  test.prop([control, fc.uint8Array({ minLength: 1, maxLength: 8 })])(
    'trailing bytes are refused',
    (payload, extra) => {
      const bytes = encodeControl(payload)
      const longer = new Uint8Array(bytes.length + extra.length)
      longer.set(bytes)
      longer.set(extra, bytes.length)
      expect(refused(() => decodeControl(longer), 'GROUP_CONTROL_INVALID')).toMatch(/after its end|length/)
    },
  )

  test.prop([fc.uint8Array({ maxLength: 200 })])(
    'random bytes: a payload or GROUP_CONTROL_INVALID',
    (bytes) => {
      try {
        decodeControl(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(BridgeError)
        expect((err as BridgeError).code).toBe('GROUP_CONTROL_INVALID')
      }
    },
  )

  test.prop([control, fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'flipped header bytes give a payload or a refusal',
    (payload, at, xor) => {
      const bytes = Uint8Array.from(encodeControl(payload))
      bytes[at % 3] = (bytes[at % 3] as number) ^ xor
      let decoded: ControlPayload | undefined
      try {
        decoded = decodeControl(bytes)
      } catch (err) {
        expect((err as BridgeError).code).toBe('GROUP_CONTROL_INVALID')
      }
      // Only the type byte can flip into another valid payload (commit and message share a layout).
      if (decoded) expect(decoded.type).not.toBe(payload.type)
    },
  )

  test('encoding a field the format cannot carry is a caller bug (status 500)', () => {
    for (const bad of [
      { type: 'commit', groupId: new Uint8Array(31), epoch: 0n, commit: unhex('00') },
      { type: 'commit', groupId: new Uint8Array(32), epoch: -1n, commit: unhex('00') },
      { type: 'message', groupId: new Uint8Array(32), epoch: 0n, ciphertext: new Uint8Array(0) },
      { type: 'welcome', groupId: new Uint8Array(32), epoch: 0n, topic: 'group-name', welcome: unhex('00') },
      { type: 'other', groupId: new Uint8Array(32), epoch: 0n },
    ]) {
      expect(() => encodeControl(bad as ControlPayload)).toThrow(
        expect.objectContaining({ code: 'GROUP_CONTROL_INVALID', status: 500 }),
      )
    }
  })
})

describe('/mainframe/keypackage/1.0.0 frames', () => {
  test('known vectors', () => {
    expect(hex(encodeKeyPackageFrame({ type: 'request' }))).toBe('0101')
    expect(hex(encodeKeyPackageFrame({ type: 'package', keyPackage: unhex('0a0b') }))).toBe(
      '0102000000020a0b',
    )
    expect(hex(encodeKeyPackageFrame({ type: 'error', code: 'NO', message: 'x' }))).toBe('0103024e4f000178')
  })

  test.prop([keyFrame])('round trip', (frame) => {
    expect(decodeKeyPackageFrame(encodeKeyPackageFrame(frame))).toEqual(frame)
  })

  test.prop([keyFrame, fc.nat()])('every truncation is refused', (frame, cut) => {
    const bytes = encodeKeyPackageFrame(frame)
    refused(() => decodeKeyPackageFrame(bytes.subarray(0, cut % bytes.length)), 'KEYPACKAGE_FRAME_INVALID')
  })

  test.prop([fc.uint8Array({ maxLength: 200 })])(
    'random bytes: a frame or KEYPACKAGE_FRAME_INVALID',
    (bytes) => {
      try {
        decodeKeyPackageFrame(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(BridgeError)
        expect((err as BridgeError).code).toBe('KEYPACKAGE_FRAME_INVALID')
      }
    },
  )

  test('refusals name the problem', () => {
    expect(refused(() => decodeKeyPackageFrame(unhex('0201')), 'KEYPACKAGE_FRAME_INVALID')).toMatch(
      /version 2/,
    )
    expect(refused(() => decodeKeyPackageFrame(unhex('0109')), 'KEYPACKAGE_FRAME_INVALID')).toMatch(
      /unknown type 9/,
    )
    expect(refused(() => decodeKeyPackageFrame(unhex('010200000000')), 'KEYPACKAGE_FRAME_INVALID')).toMatch(
      /keyPackage length/,
    )
    expect(refused(() => decodeKeyPackageFrame(unhex('0103026e6f0000')), 'KEYPACKAGE_FRAME_INVALID')).toMatch(
      /code/,
    )
  })
})
