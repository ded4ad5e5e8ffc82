import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { BridgeError } from '../../../src/core/errors.ts'
import { identityFromSeed } from '../../../src/crypto/identity.ts'
import { loadKeyFile, readKeyFileInfo, saveKeyFile } from '../../../src/crypto/keyfile.ts'

const FAST = { scryptN: 2 ** 10 }
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const identity = identityFromSeed(new Uint8Array(32).fill(0x42))
let dir = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mfb-keyfile-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    if (err instanceof BridgeError) return err.code
    throw err
  }
  throw new Error('expected a BridgeError')
}

async function json(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
}

describe('key files', () => {
  test('round trip without a passphrase', async () => {
    const path = join(dir, 'plain.json')
    await saveKeyFile(path, identity)
    const doc = await json(path)
    expect(doc).toMatchObject({ version: 1, type: 'ed25519', peerId: identity.peerId, encryption: null })
    expect(doc.secret).toBe(Buffer.from(identity.seed).toString('base64'))
    expect(doc.publicKey).toBe(Buffer.from(identity.publicKey).toString('base64'))
    const loaded = await loadKeyFile(path)
    expect(loaded.peerId).toBe(identity.peerId)
    expect(hex(loaded.seed)).toBe(hex(identity.seed))
    expect(await readKeyFileInfo(path)).toEqual({
      peerId: identity.peerId,
      publicKey: identity.publicKey,
      encrypted: false,
    })
  })

  test('round trip with a passphrase; the seed is not in the file', async () => {
    const path = join(dir, 'enc.json')
    await saveKeyFile(path, identity, 'correct horse', FAST)
    const text = await readFile(path, 'utf8')
    expect(text).not.toContain(Buffer.from(identity.seed).toString('base64'))
    const doc = await json(path)
    expect(doc.encryption).toMatchObject({ kdf: 'scrypt', N: 1024, r: 8, p: 1, cipher: 'xchacha20-poly1305' })
    expect(Buffer.from(doc.secret as string, 'base64')).toHaveLength(48)
    const loaded = await loadKeyFile(path, 'correct horse')
    expect(hex(loaded.seed)).toBe(hex(identity.seed))
    expect((await readKeyFileInfo(path)).encrypted).toBe(true)
  })

  test('the passphrase is NFKC-normalised', async () => {
    const path = join(dir, 'nfkc.json')
    await saveKeyFile(path, identity, 'caf\u00e9', FAST)
    expect((await loadKeyFile(path, 'cafe\u0301')).peerId).toBe(identity.peerId)
  })

  test('a wrong passphrase is KEY_PASSPHRASE_WRONG; none is KEY_PASSPHRASE_REQUIRED with a hint', async () => {
    const path = join(dir, 'enc2.json')
    await saveKeyFile(path, identity, 'right', FAST)
    expect(await codeOf(loadKeyFile(path, 'wrong'))).toBe('KEY_PASSPHRASE_WRONG')
    const err = await loadKeyFile(path).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('KEY_PASSPHRASE_REQUIRED')
    expect((err as BridgeError).hint).toBe('set MFB_PASSPHRASE')
    expect(await codeOf(loadKeyFile(path, ''))).toBe('KEY_PASSPHRASE_REQUIRED')
  })

  test('the file is mode 0600 and no temporary file is left behind', async () => {
    const sub = join(dir, 'keys')
    const path = join(sub, 'node.json')
    await saveKeyFile(path, identity, 'pw', FAST)
    await saveKeyFile(path, identity) // overwrite in place
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(sub)).mode & 0o077).toBe(0)
    expect(await readdir(sub)).toEqual(['node.json'])
  })

  test('a missing file is KEY_FILE_MISSING', async () => {
    expect(await codeOf(loadKeyFile(join(dir, 'nope.json')))).toBe('KEY_FILE_MISSING')
    expect(await codeOf(readKeyFileInfo(join(dir, 'nope.json')))).toBe('KEY_FILE_MISSING')
  })

  test('an unwritable destination is KEY_FILE_WRITE_FAILED', async () => {
    const blocker = join(dir, 'blocker')
    await writeFile(blocker, 'a file, not a folder')
    expect(await codeOf(saveKeyFile(join(blocker, 'key.json'), identity))).toBe('KEY_FILE_WRITE_FAILED')
  })

  test('bad options are refused', async () => {
    const path = join(dir, 'opts.json')
    expect(await codeOf(saveKeyFile(path, identity, 'pw', { scryptN: 1000 }))).toBe('CRYPTO_BAD_INPUT')
    expect(await codeOf(saveKeyFile(path, identity, ''))).toBe('CRYPTO_BAD_INPUT')
  })
})

describe('key files: tampering', () => {
  type Doc = Record<string, unknown>
  /** Sets `field` (`a` or `a.b`) to `change(old value)`; a missing parent leaves the file alone. */
  const set =
    (field: string, change: (old: string) => unknown) =>
    (doc: Doc): void => {
      const [head, tail] = field.split('.') as [string, string | undefined]
      if (tail === undefined) {
        doc[head] = change(doc[head] as string)
        return
      }
      const inner = doc[head] as Doc | null
      if (inner) inner[tail] = change(inner[tail] as string)
    }
  const tampers: [string, (doc: Doc) => void, string[]][] = [
    ['not JSON', () => {}, ['KEY_FILE_CORRUPT']],
    ['version 2', set('version', () => 2), ['KEY_FILE_CORRUPT']],
    ['type rsa', set('type', () => 'rsa'), ['KEY_FILE_CORRUPT']],
    ['peerId of another key', set('peerId', otherPeerId), ['KEY_FILE_CORRUPT']],
    ['publicKey of another key', set('publicKey', otherKey), ['KEY_FILE_CORRUPT', 'KEY_PASSPHRASE_WRONG']],
    ['publicKey not base64', set('publicKey', () => 'not base64!'), ['KEY_FILE_CORRUPT']],
    ['secret truncated', set('secret', (old) => old.slice(0, 40)), ['KEY_FILE_CORRUPT']],
    ['secret altered', set('secret', flipFirst), ['KEY_FILE_CORRUPT', 'KEY_PASSPHRASE_WRONG']],
    ['nonce altered', set('encryption.nonce', flipFirst), ['KEY_PASSPHRASE_WRONG']],
    ['salt altered', set('encryption.salt', flipFirst), ['KEY_PASSPHRASE_WRONG']],
    ['N huge', set('encryption.N', () => 2 ** 30), ['KEY_FILE_CORRUPT']],
    ['N not a power of two', set('encryption.N', () => 1500), ['KEY_FILE_CORRUPT']],
    ['unknown cipher', set('encryption.cipher', () => 'aes-gcm'), ['KEY_FILE_CORRUPT']],
    ['encryption a string', set('encryption', () => 'yes'), ['KEY_FILE_CORRUPT']],
  ]

  for (const encrypted of [false, true]) {
    for (const [name, tamper, codes] of tampers) {
      if (!encrypted && /nonce|salt|N |cipher/.test(name)) continue
      test(`${encrypted ? 'encrypted' : 'plain'} file, ${name}: ${codes.join(' or ')}`, async () => {
        const path = join(dir, `t-${encrypted}-${name.replace(/\W+/g, '-')}.json`)
        await saveKeyFile(path, identity, encrypted ? 'pw' : undefined, FAST)
        if (name === 'not JSON') await writeFile(path, '{"version": 1,')
        else {
          const doc = await json(path)
          tamper(doc)
          await writeFile(path, JSON.stringify(doc))
        }
        expect(codes).toContain(await codeOf(loadKeyFile(path, encrypted ? 'pw' : undefined)))
      })
    }
  }
})

describe('key files: default cost', () => {
  test('scrypt at N = 2^17 round-trips', { timeout: 60_000 }, async () => {
    const path = join(dir, 'default.json')
    await saveKeyFile(path, identity, 'default cost')
    expect((await json(path)).encryption).toMatchObject({ N: 2 ** 17, r: 8, p: 1 })
    expect((await loadKeyFile(path, 'default cost')).peerId).toBe(identity.peerId)
  })
})

function otherPeerId(): string {
  return identityFromSeed(new Uint8Array(32)).peerId
}

function otherKey(): string {
  return Buffer.from(identityFromSeed(new Uint8Array(32).fill(1)).publicKey).toString('base64')
}

function flipFirst(b64: string): string {
  const bytes = Buffer.from(b64, 'base64')
  bytes[0]! ^= 1
  return bytes.toString('base64')
}
