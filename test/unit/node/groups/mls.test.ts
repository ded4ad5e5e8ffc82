import { describe, expect, test } from 'vitest'
import {
  decryptMessage,
  encryptMessage,
  epoch,
  GroupEpochMismatchError,
  groupId,
  members,
  processCommit,
  removeMembers,
  updateKeys,
} from '../../../../src/node/groups/mls.ts'
import { hex, type Member, makeGroup, rejection, stillMember, text } from './helpers.ts'

/** Sends `body` from `sender` and has every one of `readers` decrypt it; returns what they read. */
async function broadcast(sender: Member, readers: Member[], body: string) {
  const sent = await encryptMessage(sender.state, text(body))
  sender.state = sent.state
  const read = []
  for (const reader of readers) {
    const got = await decryptMessage(reader.state, sent.ciphertext)
    reader.state = got.state
    read.push({ plaintext: new TextDecoder().decode(got.plaintext), sender: hex(got.senderPublicKey) })
  }
  return { ciphertext: sent.ciphertext, read }
}

describe('a group of four', () => {
  test('every member decrypts every message, and knows who sent it', async () => {
    const { members: group } = await makeGroup(4)
    const keys = group.map((member) => hex(member.identity.publicKey))
    for (const member of group) {
      expect(epoch(member.state)).toBe(1n)
      expect(members(member.state).map(hex)).toEqual(keys)
      expect(hex(groupId(member.state))).toBe(hex(groupId(group[0]!.state)))
    }
    for (const sender of group) {
      const readers = group.filter((member) => member !== sender)
      const { read } = await broadcast(sender, readers, `hello from ${sender.identity.peerId}`)
      expect(read).toEqual(
        readers.map(() => ({
          plaintext: `hello from ${sender.identity.peerId}`,
          sender: hex(sender.identity.publicKey),
        })),
      )
    }
  })

  test('a message is one ciphertext for all: its size does not grow with the group', async () => {
    const [pair, four] = await Promise.all([makeGroup(2), makeGroup(4)])
    const small = await encryptMessage(pair.members[0]!.state, text('same body'))
    const large = await encryptMessage(four.members[0]!.state, text('same body'))
    expect(large.ciphertext.length).toBe(small.ciphertext.length)
    expect(Buffer.from(large.ciphertext).includes(Buffer.from('same body'))).toBe(false)
  })

  test('each ciphertext is read once per state: a replay is refused', async () => {
    const { members: group } = await makeGroup(2)
    const [alice, bob] = group as [Member, Member]
    const { ciphertext } = await broadcast(alice, [bob], 'only once')
    const err = await rejection(decryptMessage(bob.state, ciphertext))
    expect(err.code).toBe('GROUP_MESSAGE_INVALID')
  })

  test('a sender given its own message back is told so', async () => {
    const { members: group } = await makeGroup(2)
    const alice = group[0]!
    const sent = await encryptMessage(alice.state, text('echo'))
    const err = await rejection(decryptMessage(sent.state, sent.ciphertext))
    expect(err.code).toBe('GROUP_OWN_MESSAGE')
  })
})

describe('removing a member', () => {
  test('rotates the epoch, and the removed member cannot read the next message', async () => {
    const { members: group } = await makeGroup(4)
    const [alice, bob, carol, dave] = group as [Member, Member, Member, Member]
    const removed = await removeMembers(alice.state, [dave.identity.publicKey])
    alice.state = removed.state
    expect(epoch(alice.state)).toBe(2n)

    bob.state = stillMember(await processCommit(bob.state, removed.commit))
    carol.state = stillMember(await processCommit(carol.state, removed.commit))
    const remaining = [alice, bob, carol].map((member) => hex(member.identity.publicKey))
    for (const member of [alice, bob, carol]) {
      expect(epoch(member.state)).toBe(2n)
      expect(members(member.state).map(hex)).toEqual(remaining)
    }

    const { ciphertext, read } = await broadcast(alice, [bob, carol], 'after dave left')
    expect(read.map((r) => r.plaintext)).toEqual(['after dave left', 'after dave left'])
    // Dave still holds his epoch-1 state: it has no key for epoch 2.
    const err = await rejection(decryptMessage(dave.state, ciphertext))
    expect(err).toBeInstanceOf(GroupEpochMismatchError)
    expect(err).toMatchObject({ code: 'GROUP_EPOCH_MISMATCH', expected: 1n, got: 2n })
    // Applying the commit tells him he is out, and leaves him no state to read with.
    const outcome = await processCommit(dave.state, removed.commit)
    expect(outcome).toEqual({ kind: 'removed', groupId: groupId(alice.state), epoch: 2n })
    expect((await rejection(decryptMessage(dave.state, ciphertext))).code).toBe('GROUP_STATE_STALE')
    expect(Buffer.from(ciphertext).includes(Buffer.from('after dave left'))).toBe(false)
  })

  test('a late message the removed member writes in its old epoch is refused', async () => {
    const { members: group } = await makeGroup(3)
    const [alice, bob, carol] = group as [Member, Member, Member]
    const removed = await removeMembers(alice.state, [carol.identity.publicKey])
    alice.state = removed.state
    bob.state = stillMember(await processCommit(bob.state, removed.commit))
    const late = await encryptMessage(carol.state, text('still here?'))
    const err = await rejection(decryptMessage(bob.state, late.ciphertext))
    expect(err.code).toBe('GROUP_SENDER_REMOVED')
  })

  test('a late message of a member still in the group, from the previous epoch, is read', async () => {
    const { members: group } = await makeGroup(3)
    const [alice, bob, carol] = group as [Member, Member, Member]
    const late = await encryptMessage(carol.state, text('sent at epoch 1'))
    const update = await updateKeys(alice.state)
    bob.state = stillMember(await processCommit(bob.state, update.commit))
    const got = await decryptMessage(bob.state, late.ciphertext)
    expect(new TextDecoder().decode(got.plaintext)).toBe('sent at epoch 1')
    expect(hex(got.senderPublicKey)).toBe(hex(carol.identity.publicKey))
  })
})

describe('commits apply in epoch order', () => {
  test('a member that missed two commits catches up in order, then decrypts', async () => {
    const { members: group } = await makeGroup(3)
    const [alice, bob, carol] = group as [Member, Member, Member]
    const first = await updateKeys(alice.state)
    alice.state = first.state
    bob.state = stillMember(await processCommit(bob.state, first.commit))
    const second = await updateKeys(bob.state)
    bob.state = second.state
    alice.state = stillMember(await processCommit(alice.state, second.commit))
    const { ciphertext } = await broadcast(alice, [bob], 'at epoch 3')

    // Carol, still at epoch 1, can read neither the message nor the second commit yet.
    const ahead = await rejection(decryptMessage(carol.state, ciphertext))
    expect(ahead.code).toBe('GROUP_EPOCH_MISMATCH')
    const early = await rejection(processCommit(carol.state, second.commit))
    expect(early).toMatchObject({ code: 'GROUP_EPOCH_MISMATCH', retryable: false, expected: 1n, got: 2n })
    expect(early.shortMessage).toBe('commit for epoch 2, expected epoch 1')
    expect(early.hint).toContain('process the missing commits (epochs 1 to 1) in order first')

    carol.state = stillMember(await processCommit(carol.state, first.commit))
    carol.state = stillMember(await processCommit(carol.state, second.commit))
    expect(epoch(carol.state)).toBe(3n)
    const got = await decryptMessage(carol.state, ciphertext)
    expect(new TextDecoder().decode(got.plaintext)).toBe('at epoch 3')
    expect(hex(got.senderPublicKey)).toBe(hex(alice.identity.publicKey))
  })

  test('a commit applied twice is refused as already applied', async () => {
    const { members: group } = await makeGroup(2)
    const [alice, bob] = group as [Member, Member]
    const update = await updateKeys(alice.state)
    bob.state = stillMember(await processCommit(bob.state, update.commit))
    const again = await rejection(processCommit(bob.state, update.commit))
    expect(again).toMatchObject({ code: 'GROUP_EPOCH_MISMATCH', expected: 2n, got: 1n, status: 409 })
    expect(again.hint).toContain('already applied')
  })

  test('the committer drops its own commit when the orderer echoes it back', async () => {
    const { members: group } = await makeGroup(2)
    const [alice] = group as [Member]
    const update = await updateKeys(alice.state)
    const echoed = await rejection(processCommit(update.state, update.commit))
    expect(echoed).toMatchObject({ code: 'GROUP_EPOCH_MISMATCH', expected: 2n, got: 1n })
  })

  test('a commit that lost the race leaves the old state usable for the winner', async () => {
    const { members: group } = await makeGroup(3)
    const [alice, bob, carol] = group as [Member, Member, Member]
    const losing = await updateKeys(alice.state)
    const winning = await updateKeys(bob.state)
    expect(epoch(losing.state)).toBe(2n)
    // The orderer took Bob's: Alice drops her commit and applies his to her previous state.
    alice.state = stillMember(await processCommit(alice.state, winning.commit))
    carol.state = stillMember(await processCommit(carol.state, winning.commit))
    bob.state = winning.state
    const { read } = await broadcast(bob, [alice, carol], 'bob won')
    expect(read.map((r) => r.plaintext)).toEqual(['bob won', 'bob won'])
  })
})
