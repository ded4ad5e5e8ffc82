import { inspect } from 'node:util'
import type { ClientState, KeyPackage, PrivateKeyPackage as MlsPrivateKeys } from 'ts-mls'
import type { NodeIdentity } from '../../crypto/index.ts'
import { badInput, shortHex, stateStale } from './errors.ts'

/**
 * Opaque handles over ts-mls values. The rest of the bridge holds a `GroupState` or a
 * `PrivateKeyPackage` it cannot look into, build, or alter: the secrets live in module-private
 * WeakMaps, so a handle that reaches a log (or JSON) shows a group id and an epoch, nothing
 * more. Internal to src/node/groups.
 */

declare const groupStateBrand: unique symbol
declare const privatePackageBrand: unique symbol

/** One member's view of one group at one epoch. Immutable; operations return a new one. */
export interface GroupState {
  readonly [groupStateBrand]: true
}

/** The secret half of a key package, kept by the node until a welcome for it arrives. */
export interface PrivateKeyPackage {
  readonly [privatePackageBrand]: true
}

/** What a private package handle holds. */
export interface PackageSecrets {
  identity: NodeIdentity
  publicPackage: KeyPackage
  privateKeys: MlsPrivateKeys
}

const states = new WeakMap<GroupState, ClientState>()
const packages = new WeakMap<PrivateKeyPackage, PackageSecrets>()
/** States handed to an operation that consumes keys (or already replaced by one). */
const claimed = new WeakSet<GroupState>()

/** What a state handle shows of itself: its group and epoch, public values only. */
class StateHandle {
  toJSON(): { group: string; epoch: string } {
    const { groupId, epoch } = states.get(this as unknown as GroupState)!.groupContext
    return { group: shortHex(groupId), epoch: String(epoch) }
  }

  [inspect.custom](): string {
    return `GroupState ${JSON.stringify(this.toJSON())}`
  }
}

/** What a private package handle shows of itself: whose it is. */
class PackageHandle {
  toJSON(): { member: string } {
    return { member: shortHex(packages.get(this as unknown as PrivateKeyPackage)!.identity.publicKey) }
  }

  [inspect.custom](): string {
    return `PrivateKeyPackage ${JSON.stringify(this.toJSON())}`
  }
}

export function wrapState(client: ClientState): GroupState {
  const handle = Object.freeze(new StateHandle()) as unknown as GroupState
  states.set(handle, client)
  return handle
}

/**
 * The ts-mls state behind a handle, for reading. Stale handles may still be read (epoch,
 * members), only not advanced.
 * @throws GroupError `GROUP_BAD_INPUT` when `state` is not a handle made here.
 */
export function readState(state: GroupState): ClientState {
  const client = typeof state === 'object' && state !== null ? states.get(state) : undefined
  if (client === undefined) throw badInput('state: expected a GroupState made by this module')
  return client
}

/**
 * Takes the right to advance `state`, synchronously, so two concurrent calls on one handle
 * cannot both use its keys. Call `release` if the operation fails, so the state stays usable.
 * @throws GroupError `GROUP_STATE_STALE` when it was already claimed; `GROUP_BAD_INPUT`.
 */
export function claimState(state: GroupState): ClientState {
  const client = readState(state)
  if (claimed.has(state)) throw stateStale()
  claimed.add(state)
  return client
}

export function releaseState(state: GroupState): void {
  claimed.delete(state)
}

/** Whether `state` was advanced already (its keys are spent). */
export function isStale(state: GroupState): boolean {
  return claimed.has(state)
}

export function wrapPackage(secrets: PackageSecrets): PrivateKeyPackage {
  const handle = Object.freeze(new PackageHandle()) as unknown as PrivateKeyPackage
  packages.set(handle, secrets)
  return handle
}

/** @throws GroupError `GROUP_BAD_INPUT` when `pkg` is not a handle made here. */
export function readPackage(pkg: PrivateKeyPackage): PackageSecrets {
  const secrets = typeof pkg === 'object' && pkg !== null ? packages.get(pkg) : undefined
  if (secrets === undefined)
    throw badInput('privatePackage: expected a PrivateKeyPackage made by createKeyPackage()')
  return secrets
}
