import { randomBytes } from 'node:crypto'
import type { Connection, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { BridgeError } from '../../core/errors.ts'
import type { NodeIdentity } from '../../crypto/identity.ts'
import type { Logger } from '../../log/logger.ts'
import type { GroupRepo } from '../../store/port.ts'
import type { Host } from '../host.ts'
import type { StateSealer } from './at-rest.ts'
import {
  decodeKeyPackageFrame,
  encodeKeyPackageFrame,
  KEYPACKAGE_PROTOCOL,
  MAX_KEYPACKAGE_FRAME_BYTES,
} from './keypackage-frames.ts'
import {
  createKeyPackage,
  deserializePrivatePackage,
  type PrivateKeyPackage,
  serializePrivatePackage,
} from './mls.ts'

/**
 * `/mainframe/keypackage/1.0.0`: an orderer asks a peer for a fresh key package; the peer
 * answers with its public half and keeps the private half, sealed, in the groups table until
 * a welcome for it arrives. Pending packages are rows whose id is `ff` ‖ 32 random bytes
 * (33 bytes, never a 32-byte group id) and whose topic is PENDING_TOPIC; the group service
 * skips them when it lists groups.
 */

export const PENDING_TOPIC = 'mainframe/pending-key-package'
/** Pending private packages kept at most; the oldest go first (each answers one request). */
const MAX_PENDING = 64
/** A package older than its lifetime (30 days) can no longer be added: its row can go. */
const PENDING_TTL_MS = 30 * 24 * 3600_000

export interface KeyPackageDeps {
  readonly host: Host
  readonly identity: NodeIdentity
  readonly groups: GroupRepo
  readonly sealer: StateSealer
  readonly log: Logger
  readonly dropped: (reason: string) => void
  readonly timeoutMs: number
}

/** A pending private package and the row that keeps it. */
export interface PendingPackage {
  readonly rowId: string
  readonly privatePackage: PrivateKeyPackage
}

export class KeyPackageProtocol {
  readonly #deps: KeyPackageDeps
  /** Makes one pending row at a time, so the cap holds under concurrent requests. */
  #making: Promise<unknown> = Promise.resolve()

  constructor(deps: KeyPackageDeps) {
    this.#deps = deps
  }

  async start(): Promise<void> {
    await this.#deps.host.handle(
      KEYPACKAGE_PROTOCOL,
      (stream, connection) => this.#answer(stream, connection),
      {
        maxInboundStreams: 32,
      },
    )
  }

  async stop(): Promise<void> {
    await this.#deps.host.unhandle(KEYPACKAGE_PROTOCOL)
  }

  /**
   * A fresh public key package of `peerId` (MLS key package bytes, not yet checked: the
   * caller's addMembers checks it).
   * @throws GROUP_PEER_UNREACHABLE (retryable, 503) when the peer cannot be dialled or does
   *   not answer in time; GROUP_KEY_PACKAGE_REFUSED (502) when it answers an error frame;
   *   KEYPACKAGE_FRAME_INVALID (400) when it answers garbage.
   */
  async request(peerId: string): Promise<Uint8Array> {
    const signal = AbortSignal.timeout(this.#deps.timeoutMs)
    let stream: Stream
    try {
      stream = await this.#dial(peerId, signal)
    } catch (cause) {
      throw unreachable(peerId, cause)
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_KEYPACKAGE_FRAME_BYTES })
      await lp.write(encodeKeyPackageFrame({ type: 'request' }), { signal })
      const frame = decodeKeyPackageFrame((await lp.read({ signal })).subarray())
      await stream.close({ signal }).catch(() => stream.abort(new Error('closing')))
      if (frame.type === 'package') return frame.keyPackage
      if (frame.type === 'error')
        throw new BridgeError('GROUP_KEY_PACKAGE_REFUSED', `${peerId} refused a key package: ${frame.code}`, {
          hint: frame.message || 'the peer could not make one; try again later',
          status: 502,
        })
      throw new BridgeError('KEYPACKAGE_FRAME_INVALID', `${peerId} answered a ${frame.type} frame`, {
        status: 400,
      })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof BridgeError) throw err
      throw unreachable(peerId, err)
    }
  }

  /** Dials `peerId`; when no address of it is known, looks it up in the DHT first. */
  async #dial(peerId: string, signal: AbortSignal): Promise<Stream> {
    const host = this.#deps.host
    const id = peerIdFromString(peerId)
    try {
      return await host.dialProtocol(id, KEYPACKAGE_PROTOCOL, { signal })
    } catch (first) {
      if (signal.aborted) throw first
      const found = await host.peerRouting.findPeer(id, { signal }).catch(() => undefined)
      if (!found || found.multiaddrs.length === 0) throw first
      await host.peerStore.merge(id, { multiaddrs: found.multiaddrs })
      return await host.dialProtocol(id, KEYPACKAGE_PROTOCOL, { signal })
    }
  }

  /** Every pending private package, newest first (a welcome is most likely for a recent one). */
  async pending(): Promise<PendingPackage[]> {
    const rows = (await this.#deps.groups.list()).filter((row) => row.topic === PENDING_TOPIC)
    rows.sort((a, b) => b.updatedAt - a.updatedAt)
    const out: PendingPackage[] = []
    for (const row of rows) {
      try {
        const bytes = this.#deps.sealer.open(row.groupId, row.state)
        out.push({
          rowId: row.groupId,
          privatePackage: deserializePrivatePackage(bytes, this.#deps.identity),
        })
      } catch (err) {
        this.#deps.log.warn(
          { row: row.groupId.slice(0, 16), code: (err as BridgeError).code },
          'pending key package unreadable: deleted',
        )
        await this.#deps.groups.delete(row.groupId)
      }
    }
    return out
  }

  /** Forgets a pending package (its welcome arrived). */
  async consume(rowId: string): Promise<void> {
    await this.#deps.groups.delete(rowId)
  }

  /** A fresh key package; its private half is stored (sealed) before the public one leaves. */
  async #make(): Promise<Uint8Array> {
    const made = this.#making.then(async () => {
      const rows = (await this.#deps.groups.list()).filter((row) => row.topic === PENDING_TOPIC)
      rows.sort((a, b) => a.updatedAt - b.updatedAt)
      const now = Date.now()
      for (const [i, row] of rows.entries())
        if (rows.length - i >= MAX_PENDING || now - row.updatedAt > PENDING_TTL_MS)
          await this.#deps.groups.delete(row.groupId)
      const pair = await createKeyPackage(this.#deps.identity)
      const rowId = `ff${randomBytes(32).toString('hex')}`
      await this.#deps.groups.save({
        groupId: rowId,
        topic: PENDING_TOPIC,
        state: this.#deps.sealer.seal(rowId, serializePrivatePackage(pair.privatePackage)),
        epoch: 0,
        role: 'member',
        expectedEpoch: null,
      })
      return pair.publicPackage
    })
    this.#making = made.catch(() => {})
    return made
  }

  async #answer(stream: Stream, connection: Connection): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_KEYPACKAGE_FRAME_BYTES })
    const signal = AbortSignal.timeout(this.#deps.timeoutMs)
    const peer = connection.remotePeer.toString()
    try {
      const frame = decodeKeyPackageFrame((await lp.read({ signal })).subarray())
      if (frame.type !== 'request')
        throw new BridgeError('KEYPACKAGE_FRAME_INVALID', `expected a request, got a ${frame.type}`, {
          status: 400,
        })
      const keyPackage = await this.#make()
      await lp.write(encodeKeyPackageFrame({ type: 'package', keyPackage }), { signal })
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      const code = err instanceof BridgeError ? err.code : 'KEYPACKAGE_STREAM_FAILED'
      this.#deps.dropped(code)
      this.#deps.log.warn(
        { peer, code, err: err instanceof BridgeError ? undefined : err },
        'key package request failed',
      )
      if (err instanceof BridgeError)
        await lp
          .write(
            encodeKeyPackageFrame({ type: 'error', code: err.code, message: err.shortMessage.slice(0, 200) }),
            {
              signal,
            },
          )
          .catch(() => {})
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

function unreachable(peerId: string, cause: unknown): BridgeError {
  return new BridgeError('GROUP_PEER_UNREACHABLE', `could not get a key package from ${peerId}`, {
    cause,
    hint: 'the peer must be online to be added (it makes its key package itself); try again when it is',
    retryable: true,
    status: 503,
  })
}
