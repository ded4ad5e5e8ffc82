import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { generateIdentity, type NodeIdentity } from '../../../../src/crypto/index.ts'
import {
  addMembers,
  type CommitOutcome,
  createGroup,
  createKeyPackage,
  type GroupState,
  joinFromWelcome,
} from '../../../../src/node/groups/mls.ts'

/** A group member as the tests drive it: its identity and its latest state. */
export interface Member {
  identity: NodeIdentity
  state: GroupState
}

export const text = (value: string) => new TextEncoder().encode(value)
export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/**
 * A group of `size` members made the way the node makes one: the first creates it, the
 * others send key packages, one commit adds them all, each joins from the welcome.
 */
export async function makeGroup(size: number): Promise<{ members: Member[]; commit: Uint8Array }> {
  const identities = Array.from({ length: size }, () => generateIdentity())
  const creator = identities[0]!
  const created = await createGroup(randomBytes(32), creator)
  if (size === 1) return { members: [{ identity: creator, state: created }], commit: new Uint8Array(0) }
  const pairs = await Promise.all(identities.slice(1).map((identity) => createKeyPackage(identity)))
  const added = await addMembers(
    created,
    pairs.map((pair) => pair.publicPackage),
  )
  const members: Member[] = [{ identity: creator, state: added.state }]
  for (const [index, pair] of pairs.entries()) {
    members.push({
      identity: identities[index + 1]!,
      state: await joinFromWelcome(added.welcome, pair.privatePackage),
    })
  }
  return { members, commit: added.commit }
}

/** The state of a member still in the group after a commit (fails the test otherwise). */
export function stillMember(outcome: CommitOutcome): GroupState {
  if (outcome.kind !== 'member') throw new Error(`expected to stay a member, got ${outcome.kind}`)
  return outcome.state
}

/** The BridgeError a promise rejects with; fails the test on success or on any other error. */
export async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  const err = await promise.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  )
  expect(err).toBeInstanceOf(BridgeError)
  return err as BridgeError
}

/** The BridgeError a function throws synchronously. */
export function thrown(fn: () => unknown): BridgeError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError)
    return err as BridgeError
  }
  throw new Error('expected a BridgeError')
}
