import { InvalidInputError } from '../core/errors.ts'

/** Small byte helpers shared by the crypto module. */

/**
 * Checks that `value` is a Uint8Array of exactly `length` bytes.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT`, e.g. "seed: expected Uint8Array of length 32, got length=31"
 */
export function expectBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidInputError('CRYPTO_BAD_INPUT', `${name}: expected Uint8Array, got ${describe(value)}`)
  }
  if (length !== undefined && value.length !== length) {
    throw new InvalidInputError(
      'CRYPTO_BAD_INPUT',
      `${name}: expected Uint8Array of length ${length}, got length=${value.length}`,
    )
  }
  return value
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}

/** A Buffer view over the same memory (no copy), for node:crypto calls. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A plain Uint8Array view over a Buffer's memory (no copy), so callers never see a Buffer. */
export function asUint8Array(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Concatenation into one fresh Uint8Array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Whether every byte is zero, in time independent of the contents. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!
  return acc === 0
}

/** Lower-case hex of the bytes; a cache key or a test vector, never a secret in a log. */
export function toHex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex')
}
