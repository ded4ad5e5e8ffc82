import type { BridgeError } from '../../core/errors.ts'

/**
 * Bounds-checked big-endian readers and writers for the group service's frames (control
 * payloads and /mainframe/keypackage/1.0.0). Every read names its field, so a refusal says
 * which one was wrong; decoders never throw anything but the BridgeError `bad` makes.
 * Internal to src/node/groups.
 */

/** Reads fields off `bytes` from `at`; each short read or out-of-range value throws `bad(detail)`. */
export class FrameReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  readonly #bad: (detail: string) => BridgeError
  #at: number

  constructor(bytes: Uint8Array, at: number, bad: (detail: string) => BridgeError) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#bad = bad
    this.#at = at
  }

  bad(detail: string): BridgeError {
    return this.#bad(detail)
  }

  uint(what: string, size: 1 | 2 | 4, min = 0, max = 2 ** (8 * size) - 1): number {
    this.#need(size, what)
    const v = this.#view
    const value =
      size === 1 ? v.getUint8(this.#at) : size === 2 ? v.getUint16(this.#at) : v.getUint32(this.#at)
    this.#at += size
    if (value < min || value > max) throw this.#bad(`${what}: expected ${min} to ${max}, got ${value}`)
    return value
  }

  /** A u64 (epochs). */
  u64(what: string): bigint {
    this.#need(8, what)
    const value = this.#view.getBigUint64(this.#at)
    this.#at += 8
    return value
  }

  /** `length` bytes, copied (the caller may keep them past the frame). */
  take(what: string, length: number): Uint8Array {
    this.#need(length, what)
    this.#at += length
    return this.#bytes.slice(this.#at - length, this.#at)
  }

  /** A field with a `prefix`-byte length of `min` to `max`. */
  bytes(what: string, prefix: 1 | 2 | 4, min: number, max: number): Uint8Array {
    return this.take(what, this.uint(`${what} length`, prefix, min, max))
  }

  /** Well-formed UTF-8 text of `min` to `max` bytes matching `pattern`. */
  text(what: string, prefix: 1 | 2, min: number, max: number, pattern?: RegExp): string {
    const raw = this.bytes(what, prefix, min, max)
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
    } catch {
      throw this.#bad(`${what}: not well-formed UTF-8`)
    }
    if (pattern && !pattern.test(text)) throw this.#bad(`${what}: not of the form ${pattern}`)
    return text
  }

  /** Refuses bytes after the last field: a frame has exactly one encoding. */
  end(): void {
    const left = this.#bytes.length - this.#at
    if (left !== 0) throw this.#bad(`${left} bytes after its end`)
  }

  #need(length: number, what: string): void {
    const left = this.#bytes.length - this.#at
    if (left < length) throw this.#bad(`truncated in ${what}: ${length} bytes needed, ${left} left`)
  }
}

/** Appends fields; a value the format cannot carry throws `bad(detail)` (a bug of the caller). */
export class FrameWriter {
  readonly #parts: Uint8Array[] = []
  readonly #bad: (detail: string) => BridgeError

  constructor(head: Uint8Array, bad: (detail: string) => BridgeError) {
    this.#parts.push(head)
    this.#bad = bad
  }

  bad(detail: string): BridgeError {
    return this.#bad(detail)
  }

  uint(what: string, size: 1 | 2 | 4, value: number, min = 0, max = 2 ** (8 * size) - 1): void {
    if (!Number.isInteger(value) || value < min || value > max)
      throw this.#bad(`${what}: expected an integer from ${min} to ${max}, got ${String(value)}`)
    const out = new Uint8Array(size)
    for (let i = size - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256
    this.#parts.push(out)
  }

  u64(what: string, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value >= 2n ** 64n)
      throw this.#bad(`${what}: expected a bigint from 0 to 2^64-1`)
    const out = new Uint8Array(8)
    new DataView(out.buffer).setBigUint64(0, value)
    this.#parts.push(out)
  }

  fixed(what: string, value: Uint8Array, length: number): void {
    if (!(value instanceof Uint8Array) || value.length !== length)
      throw this.#bad(`${what}: expected ${length} bytes`)
    this.#parts.push(value)
  }

  bytes(what: string, prefix: 1 | 2 | 4, value: Uint8Array, min: number, max: number): void {
    if (!(value instanceof Uint8Array)) throw this.#bad(`${what}: expected a Uint8Array`)
    this.uint(`${what} length`, prefix, value.length, min, max)
    this.#parts.push(value)
  }

  text(what: string, prefix: 1 | 2, value: string, min: number, max: number, pattern?: RegExp): void {
    if (typeof value !== 'string' || !value.isWellFormed())
      throw this.#bad(`${what}: expected well-formed text`)
    if (pattern && !pattern.test(value)) throw this.#bad(`${what}: not of the form ${pattern}`)
    this.bytes(what, prefix, new TextEncoder().encode(value), min, max)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#parts.reduce((sum, part) => sum + part.length, 0))
    let at = 0
    for (const part of this.#parts) {
      out.set(part, at)
      at += part.length
    }
    return out
  }
}
