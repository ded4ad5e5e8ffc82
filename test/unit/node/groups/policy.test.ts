import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import {
  createCommit,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from 'ts-mls'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { generateIdentity, type NodeIdentity } from '../../../../src/crypto/index.ts'
import { readState } from '../../../../src/node/groups/handles.ts'
import {
  addMembers,
  createGroup,
  createKeyPackage,
  decryptMessage,
  encryptMessage,
  epoch,
  GroupError,
  keyPackageMember,
  processCommit,
  removeMembers,
  updateKeys,
} from '../../../../src/node/groups/mls.ts'
import { CAPABILITIES, suite } from '../../../../src/node/groups/suite.ts'
import { hex, type Member, makeGroup, rejection, stillMember, text } from './helpers.ts'

afterEach(() => {
  vi.useRealTimers()
})

/** A key package made straight with ts-mls, to build what our own API refuses to make. */
async function foreignKeyPackage(identity: NodeIdentity, credentialKey: Uint8Array, suiteName = 3) {
  const cs =
    suiteName === 3
      ? await suite()
      : await getCiphersuiteImpl(getCiphersuiteFromName('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'))
  const { publicPackage } = await generateKeyPackageWithKey(
    { credentialType: 'basic', identity: credentialKey },
    { ...CAPABILITIES, ciphersuites: [cs.name] },
    defaultLifetime,
    [],
    { signKey: Uint8Array.from(identity.seed), publicKey: identity.publicKey },
    cs,
  )
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage })
}

describe('addMembers refuses key packages it cannot trust, naming which and why', () => {
  test('garbage, another kind of MLS message, or an altered package', async () => {
    const { members: group, commit } = await makeGroup(2)
    const alice = group[0]!
    const good = (await createKeyPackage(generateIdentity())).publicPackage
    const altered = Uint8Array.from(good)
    altered[altered.length - 5]! ^= 0x01

    const garbage = await rejection(addMembers(alice.state, [good, randomBytes(50)]))
    expect(garbage).toMatchObject({ code: 'GROUP_KEY_PACKAGE_INVALID', status: 400, retryable: false })
    expect(garbage.shortMessage).toBe('key package #1: not an MLS message (50 bytes)')
    const notAPackage = await rejection(addMembers(alice.state, [commit]))
    expect(notAPackage.shortMessage).toBe(
      'key package #0: an mls_private_message, expected an mls_key_package',
    )
    const forged = await rejection(addMembers(alice.state, [altered]))
    expect(forged.code).toBe('GROUP_KEY_PACKAGE_INVALID')
    expect(epoch(alice.state)).toBe(1n)
  })

  test('a credential that is not the key signing for it (a member posing as another node)', async () => {
    const { members: group } = await makeGroup(1)
    const mallory = generateIdentity()
    const posing = await foreignKeyPackage(mallory, generateIdentity().publicKey)
    const err = await rejection(addMembers(group[0]!.state, [posing]))
    expect(err.code).toBe('GROUP_KEY_PACKAGE_INVALID')
    expect(err.shortMessage).toContain('its credential is not the 32-byte Ed25519 key that signs it')
  })

  test('another ciphersuite', async () => {
    const { members: group } = await makeGroup(1)
    const other = generateIdentity()
    const err = await rejection(
      addMembers(group[0]!.state, [await foreignKeyPackage(other, other.publicKey, 1)]),
    )
    expect(err.code).toBe('GROUP_KEY_PACKAGE_INVALID')
    expect(err.shortMessage).toContain('ciphersuite MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519')
  })

  test('an expired package', async () => {
    const { members: group } = await makeGroup(1)
    const pair = await createKeyPackage(generateIdentity(), { lifetimeSeconds: 60 })
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 2 * 60 * 60 * 1000)
    const err = await rejection(addMembers(group[0]!.state, [pair.publicPackage]))
    expect(err.code).toBe('GROUP_KEY_PACKAGE_INVALID')
    expect(err.shortMessage).toContain('expired')
  })

  test('a member already in the group, or the same node twice', async () => {
    const { members: group } = await makeGroup(2)
    const [alice, bob] = group as [Member, Member]
    const again = await rejection(
      addMembers(alice.state, [(await createKeyPackage(bob.identity)).publicPackage]),
    )
    expect(again.code).toBe('GROUP_ALREADY_MEMBER')
    const carol = generateIdentity()
    const twice = [
      (await createKeyPackage(carol)).publicPackage,
      (await createKeyPackage(carol)).publicPackage,
    ]
    expect((await rejection(addMembers(alice.state, twice))).code).toBe('GROUP_ALREADY_MEMBER')
    expect((await rejection(addMembers(alice.state, []))).code).toBe('GROUP_BAD_INPUT')
  })

  test('keyPackageMember tells an orderer whose package it holds', async () => {
    const dana = generateIdentity()
    const { publicPackage } = await createKeyPackage(dana)
    expect(hex(await keyPackageMember(publicPackage))).toBe(hex(dana.publicKey))
    expect((await rejection(keyPackageMember(publicPackage.subarray(1)))).code).toBe(
      'GROUP_KEY_PACKAGE_INVALID',
    )
  })
})

describe('removeMembers', () => {
  test('refuses a stranger, itself, and keys of the wrong size', async () => {
    const { members: group } = await makeGroup(2)
    const alice = group[0]!
    const stranger = await rejection(removeMembers(alice.state, [generateIdentity().publicKey]))
    expect(stranger).toMatchObject({ code: 'GROUP_NOT_MEMBER', status: 404 })
    const self = await rejection(removeMembers(alice.state, [alice.identity.publicKey]))
    expect(self.shortMessage).toBe('memberPublicKeys: a member cannot remove itself')
    expect((await rejection(removeMembers(alice.state, [new Uint8Array(31)]))).code).toBe('GROUP_BAD_INPUT')
  })
})

describe('messages and commits go to the right call', () => {
  test('a commit given to decryptMessage, a message given to processCommit', async () => {
    const { members: group } = await makeGroup(2)
    const [alice, bob] = group as [Member, Member]
    const update = await updateKeys(alice.state)
    const misrouted = await rejection(decryptMessage(bob.state, update.commit))
    expect(misrouted.code).toBe('GROUP_MESSAGE_INVALID')
    expect(misrouted.shortMessage).toContain('pass it to processCommit()')
    const message = await encryptMessage(bob.state, text('hi'))
    bob.state = message.state
    expect((await rejection(processCommit(alice.state, message.ciphertext))).code).toBe(
      'GROUP_MESSAGE_INVALID',
    )
    // Both refusals left the states usable.
    bob.state = stillMember(await processCommit(bob.state, update.commit))
    expect(epoch(bob.state)).toBe(2n)
  })

  test('a message of another group', async () => {
    const [one, two] = await Promise.all([makeGroup(2), makeGroup(2)])
    const sent = await encryptMessage(one.members[0]!.state, text('for group one'))
    const err = await rejection(decryptMessage(two.members[1]!.state, sent.ciphertext))
    expect(err.code).toBe('GROUP_WRONG_GROUP')
  })

  test('a commit with proposals this node never makes is refused, the epoch kept', async () => {
    const { members: group } = await makeGroup(2)
    const [alice, bob] = group as [Member, Member]
    const extensions = await createCommit(
      { state: readState(alice.state), cipherSuite: await suite() },
      {
        extraProposals: [
          { proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [] } },
        ],
      },
    )
    const err = await rejection(processCommit(bob.state, encodeMlsMessage(extensions.commit)))
    expect(err.code).toBe('GROUP_COMMIT_UNSUPPORTED')
    expect(err.shortMessage).toContain('group_context_extensions')
    expect(epoch(bob.state)).toBe(1n)
    const fine = await updateKeys(alice.state)
    expect(epoch(stillMember(await processCommit(bob.state, fine.commit)))).toBe(2n)
  })
})

describe('group states are used once and show nothing secret', () => {
  test('an encrypting state cannot encrypt again, even concurrently', async () => {
    const { members: group } = await makeGroup(2)
    const alice = group[0]!
    const results = await Promise.allSettled([
      encryptMessage(alice.state, text('one')),
      encryptMessage(alice.state, text('two')),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(refused.reason).toBeInstanceOf(GroupError)
    expect(refused.reason.code).toBe('GROUP_STATE_STALE')
  })

  test('a handle logs as its group and epoch only', async () => {
    const { members: group } = await makeGroup(2)
    const state = group[1]!.state
    const id = hex(readState(state).groupContext.groupId).slice(0, 16)
    expect(JSON.parse(JSON.stringify(state))).toEqual({ group: `${id}…`, epoch: '1' })
    expect(inspect(state)).toBe(`GroupState {"group":"${id}…","epoch":"1"}`)
  })

  test('wrong arguments are GROUP_BAD_INPUT, not crashes', async () => {
    const me = generateIdentity()
    expect((await rejection(createGroup(new Uint8Array(31), me))).code).toBe('GROUP_BAD_INPUT')
    expect((await rejection(createKeyPackage({} as NodeIdentity))).code).toBe('GROUP_BAD_INPUT')
    const handmade = { seed: me.seed, publicKey: generateIdentity().publicKey } as NodeIdentity
    expect((await rejection(createKeyPackage(handmade))).shortMessage).toBe(
      'identity: its public key does not match its seed',
    )
    expect((await rejection(encryptMessage({} as never, text('x')))).code).toBe('GROUP_BAD_INPUT')
  })
})

describe('a member cannot swap its node key for another', () => {
  test('a commit whose path gives the committer a new signature key is refused', async () => {
    const { members: group } = await makeGroup(2)
    const [alice, bob] = group as [Member, Member]
    // Alice signs the commit with her key (so Bob accepts it as hers) but signs a path leaf
    // that carries a throwaway key, with a credential naming that key.
    const throwaway = generateIdentity()
    const own = readState(alice.state)
    const leafNode = own.ratchetTree[own.privatePath.leafIndex * 2]
    if (leafNode?.nodeType !== 'leaf') throw new Error('alice has no leaf')
    const tree = own.ratchetTree.slice()
    tree[own.privatePath.leafIndex * 2] = {
      nodeType: 'leaf',
      leaf: {
        ...leafNode.leaf,
        signaturePublicKey: throwaway.publicKey,
        credential: { credentialType: 'basic', identity: throwaway.publicKey },
      },
    }
    const cs = await suite()
    const leafLabel = Buffer.from('MLS 1.0 LeafNodeTBS')
    const forger = {
      ...cs,
      signature: {
        ...cs.signature,
        sign: (key: Uint8Array, message: Uint8Array) =>
          Buffer.from(message).includes(leafLabel)
            ? cs.signature.sign(Uint8Array.from(throwaway.seed), message)
            : cs.signature.sign(key, message),
      },
    }
    const forged = await createCommit({ state: { ...own, ratchetTree: tree }, cipherSuite: forger }, {})
    const err = await rejection(processCommit(bob.state, encodeMlsMessage(forged.commit)))
    expect(err.code).toBe('GROUP_COMMIT_UNSUPPORTED')
    expect(err.shortMessage).toContain('changes the key of a member')
    // Bob's state was left whole: the honest commit for that epoch still applies.
    const honest = await updateKeys(alice.state)
    bob.state = stillMember(await processCommit(bob.state, honest.commit))
    const sent = await encryptMessage(honest.state, text('same alice'))
    expect(hex((await decryptMessage(bob.state, sent.ciphertext)).senderPublicKey)).toBe(
      hex(alice.identity.publicKey),
    )
  })
})
