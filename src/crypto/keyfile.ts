import { randomBytes, scrypt } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { InvalidInputError } from '../core/errors.ts'
import { KeyFileError } from './errors.ts'
import { identityFromSeed, type NodeIdentity } from './identity.ts'
import {
  encodeKeyFile,
  type KeyFileDocument,
  type KeyFileEncryption,
  parseKeyFile,
  SCRYPT_DEFAULT_N,
  SCRYPT_P,
  SCRYPT_R,
  scryptParamsOk,
} from './keyfile-format.ts'
import { keysOf } from './keys.ts'
import { peerIdOf, peerKey } from './peer.ts'
import { xchachaDecrypt, xchachaEncrypt } from './xchacha.ts'

/**
 * A node identity at rest (format: docs/wire.md, "Key file (v1)"). With a passphrase the
 * seed is encrypted: scrypt (N=2^17, r=8, p=1 → a 32-byte key, ~128 MiB, runs in the libuv
 * pool) then XChaCha20-Poly1305 with the public key as associated data.
 */

export interface SaveKeyFileOptions {
  /** scrypt cost; a power of two ≥ 2^10. Default 2^17. Lower it in tests only. */
  scryptN?: number
}

export interface KeyFileInfo {
  peerId: string
  publicKey: Uint8Array
  encrypted: boolean
}

/**
 * Writes `identity` to `path` atomically (a temp file in the same folder, fsync, rename),
 * mode 0600; creates the folder (0700) if needed. Encrypts when `passphrase` is given.
 * @throws InvalidInputError `CRYPTO_BAD_INPUT` (empty passphrase, bad scryptN),
 *   `CRYPTO_IDENTITY_MISMATCH` (a hand-made identity object); KeyFileError `KEY_FILE_WRITE_FAILED`.
 */
export async function saveKeyFile(
  path: string,
  identity: NodeIdentity,
  passphrase?: string,
  options: SaveKeyFileOptions = {},
): Promise<void> {
  const keys = keysOf(identity)
  const doc: KeyFileDocument = {
    version: 1,
    type: 'ed25519',
    peerId: peerIdOf(peerKey(keys.publicKey)),
    publicKey: keys.publicKey,
    encryption: null,
    secret: keys.seed,
  }
  if (passphrase !== undefined) {
    if (typeof passphrase !== 'string' || passphrase === '') {
      throw new InvalidInputError('CRYPTO_BAD_INPUT', 'passphrase: expected a non-empty string', {
        hint: 'leave MFB_PASSPHRASE unset to store the key unencrypted',
      })
    }
    const N = options.scryptN ?? SCRYPT_DEFAULT_N
    if (!scryptParamsOk(N, SCRYPT_R, SCRYPT_P)) {
      throw new InvalidInputError(
        'CRYPTO_BAD_INPUT',
        `scryptN: expected a power of two in [2^10, 2^20], got ${N}`,
      )
    }
    const encryption: KeyFileEncryption = {
      kdf: 'scrypt',
      N,
      r: SCRYPT_R,
      p: SCRYPT_P,
      salt: new Uint8Array(randomBytes(16)),
      cipher: 'xchacha20-poly1305',
      nonce: new Uint8Array(randomBytes(24)),
    }
    const key = await deriveKey(passphrase, encryption)
    doc.encryption = encryption
    doc.secret = xchachaEncrypt(key, encryption.nonce, keys.publicKey, keys.seed)
    key.fill(0)
  }
  await writeAtomically(path, encodeKeyFile(doc))
}

/**
 * Reads a key file and returns its identity.
 * @throws KeyFileError `KEY_FILE_MISSING`, `KEY_FILE_UNREADABLE`, `KEY_FILE_CORRUPT` (bad JSON
 *   or fields, or a public key / peer id that is not the seed's), `KEY_PASSPHRASE_REQUIRED`
 *   (encrypted, no passphrase), `KEY_PASSPHRASE_WRONG` (or the ciphertext was altered).
 */
export async function loadKeyFile(path: string, passphrase?: string): Promise<NodeIdentity> {
  const doc = parseKeyFile(await readText(path), path)
  let seed = doc.secret
  if (doc.encryption !== null) {
    if (passphrase === undefined || passphrase === '') {
      throw new KeyFileError(
        'KEY_PASSPHRASE_REQUIRED',
        `key file ${path} is encrypted and no passphrase was given`,
        {
          hint: 'set MFB_PASSPHRASE',
        },
      )
    }
    const key = await deriveKey(passphrase, doc.encryption)
    try {
      seed = xchachaDecrypt(key, doc.encryption.nonce, doc.publicKey, doc.secret)
    } catch (cause) {
      throw new KeyFileError('KEY_PASSPHRASE_WRONG', `wrong passphrase for key file ${path}`, {
        cause,
        hint: 'check MFB_PASSPHRASE; if it is right, the file was altered',
      })
    } finally {
      key.fill(0)
    }
  }
  const identity = identityFromSeed(seed)
  seed.fill(0)
  checkMatches(doc, identity.publicKey, path)
  return identity
}

/**
 * The public part of a key file, without a passphrase.
 * @throws KeyFileError `KEY_FILE_MISSING`, `KEY_FILE_UNREADABLE`, `KEY_FILE_CORRUPT`.
 */
export async function readKeyFileInfo(path: string): Promise<KeyFileInfo> {
  const doc = parseKeyFile(await readText(path), path)
  checkMatches(doc, doc.publicKey, path)
  return { peerId: doc.peerId, publicKey: doc.publicKey, encrypted: doc.encryption !== null }
}

function checkMatches(doc: KeyFileDocument, publicKey: Uint8Array, path: string): void {
  const corrupt = (what: string) =>
    new KeyFileError('KEY_FILE_CORRUPT', `key file ${path} is corrupt: ${what}`, {
      hint: 'restore it from a backup, or make a new identity with `mainframe-bridge init`',
    })
  if (!Buffer.from(publicKey).equals(Buffer.from(doc.publicKey)))
    throw corrupt('"publicKey" is not the seed\'s')
  let peerId: string
  try {
    peerId = peerIdOf(peerKey(doc.publicKey))
  } catch {
    throw corrupt('"publicKey" is not an Ed25519 public key')
  }
  if (peerId !== doc.peerId) throw corrupt(`"peerId" ${doc.peerId} is not the public key's (${peerId})`)
}

function deriveKey(passphrase: string, e: KeyFileEncryption): Promise<Uint8Array> {
  const maxmem = 128 * e.r * (e.N + e.p + 2) + 2 ** 20
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFKC'), e.salt, 32, { N: e.N, r: e.r, p: e.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength)),
    )
  })
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new KeyFileError('KEY_FILE_MISSING', `no key file at ${path}`, {
        cause,
        hint: 'run `mainframe-bridge init` to create one, or check the path',
      })
    }
    throw new KeyFileError('KEY_FILE_UNREADABLE', `cannot read key file ${path} (${code ?? 'error'})`, {
      cause,
    })
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(text, 'utf8')
      await handle.chmod(0o600)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (cause) {
    await unlink(temp).catch(() => {})
    const code = (cause as NodeJS.ErrnoException).code
    throw new KeyFileError('KEY_FILE_WRITE_FAILED', `cannot write key file ${path} (${code ?? 'error'})`, {
      cause,
      hint: 'check that the folder exists and is writable',
    })
  }
  await syncDir(dirname(path))
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Best effort: some file systems refuse fsync on a directory.
  }
}
