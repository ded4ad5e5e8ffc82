import { KeyFileError } from './errors.ts'

/**
 * The JSON shape of a key file (docs/wire.md, "Key file (v1)") and its strict parser.
 * Every field is checked; the first one that is wrong is named in the error.
 */

export const SCRYPT_DEFAULT_N = 2 ** 17
export const SCRYPT_R = 8
export const SCRYPT_P = 1
/** Bounds accepted when reading a file, so a crafted file cannot ask for gigabytes. */
export const SCRYPT_MIN_N = 2 ** 10
export const SCRYPT_MAX_MEMORY = 2 ** 30

export interface KeyFileEncryption {
  kdf: 'scrypt'
  N: number
  r: number
  p: number
  salt: Uint8Array
  cipher: 'xchacha20-poly1305'
  nonce: Uint8Array
}

export interface KeyFileDocument {
  version: 1
  type: 'ed25519'
  peerId: string
  publicKey: Uint8Array
  encryption: KeyFileEncryption | null
  /** The 32-byte seed, or its 48-byte ciphertext ‖ tag. */
  secret: Uint8Array
}

const b64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

/** The file's text: pretty JSON with a final newline, fields in a fixed order. */
export function encodeKeyFile(doc: KeyFileDocument): string {
  const encryption =
    doc.encryption === null
      ? null
      : {
          kdf: doc.encryption.kdf,
          N: doc.encryption.N,
          r: doc.encryption.r,
          p: doc.encryption.p,
          salt: b64(doc.encryption.salt),
          cipher: doc.encryption.cipher,
          nonce: b64(doc.encryption.nonce),
        }
  const json = { version: 1, type: 'ed25519', peerId: doc.peerId, publicKey: b64(doc.publicKey), encryption }
  return `${JSON.stringify({ ...json, secret: b64(doc.secret) }, null, 2)}\n`
}

/** Whether (N, r, p) are scrypt parameters this module will run. */
export function scryptParamsOk(N: number, r: number, p: number): boolean {
  return (
    Number.isInteger(N) &&
    N >= SCRYPT_MIN_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16 &&
    128 * N * r <= SCRYPT_MAX_MEMORY
  )
}

/**
 * Parses and validates a key file's text.
 * @throws KeyFileError `KEY_FILE_CORRUPT` naming the file and the first bad field.
 */
export function parseKeyFile(text: string, path: string): KeyFileDocument {
  const corrupt = (what: string, cause?: unknown) =>
    new KeyFileError('KEY_FILE_CORRUPT', `key file ${path} is corrupt: ${what}`, {
      cause,
      hint: 'restore it from a backup, or make a new identity with `mainframe-bridge init`',
    })
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw corrupt('not valid JSON', cause)
  }
  if (!isRecord(raw)) throw corrupt('expected a JSON object')
  if (raw.version !== 1) throw corrupt(`unknown version ${JSON.stringify(raw.version)} (expected 1)`)
  if (raw.type !== 'ed25519')
    throw corrupt(`unknown key type ${JSON.stringify(raw.type)} (expected "ed25519")`)
  if (typeof raw.peerId !== 'string' || raw.peerId === '')
    throw corrupt('"peerId" must be a non-empty string')
  const bytes = (value: unknown, field: string, length: number) => {
    const decoded = decodeBase64(value)
    if (decoded === null) throw corrupt(`"${field}" is not base64`)
    if (decoded.length !== length)
      throw corrupt(`"${field}" must be ${length} bytes, got length=${decoded.length}`)
    return decoded
  }
  const publicKey = bytes(raw.publicKey, 'publicKey', 32)
  let encryption: KeyFileEncryption | null = null
  if (raw.encryption !== null) {
    const e = raw.encryption
    if (!isRecord(e)) throw corrupt('"encryption" must be null or an object')
    if (e.kdf !== 'scrypt') throw corrupt(`unknown kdf ${JSON.stringify(e.kdf)} (expected "scrypt")`)
    if (e.cipher !== 'xchacha20-poly1305') {
      throw corrupt(`unknown cipher ${JSON.stringify(e.cipher)} (expected "xchacha20-poly1305")`)
    }
    const { N, r, p } = e
    if (typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number' || !scryptParamsOk(N, r, p)) {
      throw corrupt(`scrypt parameters out of range: N=${String(N)} r=${String(r)} p=${String(p)}`)
    }
    encryption = {
      kdf: 'scrypt',
      N,
      r,
      p,
      salt: bytes(e.salt, 'encryption.salt', 16),
      cipher: 'xchacha20-poly1305',
      nonce: bytes(e.nonce, 'encryption.nonce', 24),
    }
  }
  const secret = bytes(raw.secret, 'secret', encryption === null ? 32 : 48)
  return { version: 1, type: 'ed25519', peerId: raw.peerId, publicKey, encryption, secret }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Strict standard base64 (padded), or null. */
function decodeBase64(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    return null
  const decoded = Buffer.from(value, 'base64')
  if (decoded.toString('base64') !== value) return null
  return new Uint8Array(decoded)
}
