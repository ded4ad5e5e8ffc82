import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { generateIdentity, publicKeyFromPeerId, verifySignature } from '../../../../src/crypto/identity.ts'
import { Keyring } from '../../../../src/node/identities/keyring.ts'
import type { Store } from '../../../../src/store/port.ts'
import { openSqliteStore } from '../../../../src/store/sqlite/index.ts'

let store: Store
beforeEach(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
})
afterEach(async () => {
  await store.close()
})

describe('bridge identity keyring', () => {
  test('one key per subject, made once, kept across restarts; it signs for that person', async () => {
    const node = generateIdentity()
    const first = await new Keyring(node, store.identities).ensure('matrix:@alice:example.org')
    expect(first.created).toBe(true)
    const again = await new Keyring(node, store.identities).ensure('matrix:@alice:example.org')
    expect(again).toMatchObject({ created: false })
    expect(again.identity.peerId).toBe(first.identity.peerId)
    expect(again.identity.peerId).not.toBe(node.peerId)
    const signature = again.identity.sign(Uint8Array.of(1, 2, 3))
    expect(
      verifySignature(publicKeyFromPeerId(first.identity.peerId), Uint8Array.of(1, 2, 3), signature),
    ).toBe(true)
    const bob = await new Keyring(node, store.identities).ensure('mailto:bob@example.org')
    expect(bob.identity.peerId).not.toBe(first.identity.peerId)
  })

  test('concurrent first uses of a subject get one key', async () => {
    const node = generateIdentity()
    const keyrings = [new Keyring(node, store.identities), new Keyring(node, store.identities)]
    const made = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (keyrings[i % 2] as Keyring).ensure('mailto:carol@example.org')),
    )
    expect(new Set(made.map((m) => m.identity.peerId)).size).toBe(1)
    expect(made.filter((m) => m.created)).toHaveLength(1)
    expect(await store.identities.count()).toBe(1)
  })

  test('the store holds the key only sealed: no seed bytes at rest, and another node key cannot open it', async () => {
    const node = generateIdentity()
    const { identity } = await new Keyring(node, store.identities).ensure(
      'eip155:1:0x0000000000000000000000000000000000000001',
    )
    const row = await store.identities.byPeerId(identity.peerId)
    expect(row).toBeDefined()
    const stored = Buffer.from(row?.sealedSeed ?? [])
    expect(stored.includes(Buffer.from(identity.seed))).toBe(false)
    expect(await new Keyring(node, store.identities).byPeerId(identity.peerId)).toMatchObject({
      peerId: identity.peerId,
    })
    const stranger = new Keyring(generateIdentity(), store.identities)
    const err = await stranger.byPeerId(identity.peerId).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BridgeError)
    expect((err as BridgeError).code).toBe('NODE_IDENTITY_SEALED_INVALID')
    expect((err as BridgeError).hint).toMatch(/node key/)
  })

  test('byPeerId: undefined for an identity this node does not hold', async () => {
    const keyring = new Keyring(generateIdentity(), store.identities)
    expect(await keyring.byPeerId(generateIdentity().peerId)).toBeUndefined()
  })
})
