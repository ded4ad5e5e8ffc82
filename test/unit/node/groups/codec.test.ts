import { describe, expect, test } from 'vitest'
import { generateIdentity } from '../../../../src/crypto/index.ts'
import {
  addMembers,
  createKeyPackage,
  decryptMessage,
  deserializeGroup,
  deserializePrivatePackage,
  encryptMessage,
  epoch,
  groupId,
  joinFromWelcome,
  members,
  processCommit,
  serializeGroup,
  serializePrivatePackage,
  updateKeys,
} from '../../../../src/node/groups/mls.ts'
import { hex, type Member, makeGroup, rejection, stillMember, text, thrown } from './helpers.ts'

describe('serializeGroup / deserializeGroup', () => {
  test('a restored state keeps working: it reads, writes and follows commits', async () => {
    const { members: group } = await makeGroup(3)
    const [alice, bob, carol] = group as [Member, Member, Member]
    const stored = serializeGroup(bob.state)
    expect(stored[0]).toBe(0x01)
    let restored = deserializeGroup(stored, bob.identity)
    expect(epoch(restored)).toBe(epoch(bob.state))
    expect(hex(groupId(restored))).toBe(hex(groupId(bob.state)))
    expect(members(restored).map(hex)).toEqual(members(bob.state).map(hex))

    const fromAlice = await encryptMessage(alice.state, text('to the restored bob'))
    alice.state = fromAlice.state
    const read = await decryptMessage(restored, fromAlice.ciphertext)
    expect(new TextDecoder().decode(read.plaintext)).toBe('to the restored bob')
    restored = read.state

    const fromBob = await encryptMessage(restored, text('bob is back'))
    restored = fromBob.state
    const heard = await decryptMessage(carol.state, fromBob.ciphertext)
    expect(new TextDecoder().decode(heard.plaintext)).toBe('bob is back')
    expect(hex(heard.senderPublicKey)).toBe(hex(bob.identity.publicKey))

    const update = await updateKeys(alice.state)
    restored = stillMember(await processCommit(restored, update.commit))
    expect(epoch(restored)).toBe(2n)
  })

  test('is deterministic, and keeps the node identity seed out of the bytes', async () => {
    const { members: group } = await makeGroup(2)
    const bob = group[1]!
    const stored = serializeGroup(bob.state)
    expect(hex(serializeGroup(deserializeGroup(stored, bob.identity)))).toBe(hex(stored))
    expect(Buffer.from(stored).includes(Buffer.from(bob.identity.seed))).toBe(false)
  })

  test('refuses bytes of another node, another version, or cut short', async () => {
    const { members: group } = await makeGroup(2)
    const bob = group[1]!
    const stored = serializeGroup(bob.state)
    expect(thrown(() => deserializeGroup(stored, generateIdentity())).code).toBe('GROUP_IDENTITY_MISMATCH')
    const future = Uint8Array.from(stored)
    future[0] = 0x07
    const err = thrown(() => deserializeGroup(future, bob.identity))
    expect(err.code).toBe('GROUP_STATE_INVALID')
    expect(err.shortMessage).toBe('group state: version 7, this build reads version 1')
    for (const length of [0, 1, 2, 100, stored.length - 1]) {
      expect(thrown(() => deserializeGroup(stored.subarray(0, length), bob.identity)).code).toBe(
        'GROUP_STATE_INVALID',
      )
    }
  })

  test('refuses to store a state that was already replaced (it would roll keys back)', async () => {
    const { members: group } = await makeGroup(2)
    const alice = group[0]!
    await encryptMessage(alice.state, text('moves alice on'))
    expect(thrown(() => serializeGroup(alice.state)).code).toBe('GROUP_STATE_STALE')
  })
})

describe('serializePrivatePackage / deserializePrivatePackage', () => {
  test('a stored private package still joins from its welcome', async () => {
    const { members: group } = await makeGroup(1)
    const erin = generateIdentity()
    const pair = await createKeyPackage(erin)
    const stored = serializePrivatePackage(pair.privatePackage)
    expect(Buffer.from(stored).includes(Buffer.from(erin.seed))).toBe(false)
    const added = await addMembers(group[0]!.state, [pair.publicPackage])
    const erinState = await joinFromWelcome(added.welcome, deserializePrivatePackage(stored, erin))
    expect(members(erinState).map(hex)).toEqual([hex(group[0]!.identity.publicKey), hex(erin.publicKey)])
  })

  test('refuses another node, another version, or bytes cut short', async () => {
    const erin = generateIdentity()
    const stored = serializePrivatePackage((await createKeyPackage(erin)).privatePackage)
    expect(thrown(() => deserializePrivatePackage(stored, generateIdentity())).code).toBe(
      'GROUP_IDENTITY_MISMATCH',
    )
    expect(thrown(() => deserializePrivatePackage(Uint8Array.of(0x09, 0), erin)).code).toBe(
      'GROUP_STATE_INVALID',
    )
    for (const length of [0, 3, 40, stored.length - 1]) {
      expect(thrown(() => deserializePrivatePackage(stored.subarray(0, length), erin)).code).toBe(
        'GROUP_STATE_INVALID',
      )
    }
  })

  test('a welcome for another key package is told apart', async () => {
    const { members: group } = await makeGroup(1)
    const invited = await createKeyPackage(generateIdentity())
    const bystander = await createKeyPackage(generateIdentity())
    const added = await addMembers(group[0]!.state, [invited.publicPackage])
    const err = await rejection(joinFromWelcome(added.welcome, bystander.privatePackage))
    expect(err.code).toBe('GROUP_WELCOME_NOT_FOR_US')
  })
})
