/**
 * The moving parts of bench:matrix, all real and local: a private Synapse with the bridge's
 * registration (as `init` wrote it), the bridge as its own process with the Matrix adapter on,
 * a webhook receiver, two Matrix users (alice syncing, bob sending), and a portal room linked
 * both ways by two one-way links (so each direction has exactly one target):
 *   webhook `to-matrix` (out) → the room (in);   the room (out) → the receiver (in).
 * Set up as test/adapters/matrix/appservice.test.ts does.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  ClientEvent,
  createClient,
  Filter,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  RoomEvent,
  SyncState,
} from 'matrix-js-sdk'
import { logger as sdkGlobalLogger } from 'matrix-js-sdk/lib/logger.js'
import { parse, stringify } from 'yaml'
import { makeDataDir, until } from '../test/helpers/bridge.ts'
import { type BridgeProcess, startCli } from '../test/helpers/cli.ts'
import { freePort } from '../test/helpers/driven-child.ts'
import { quietSdkLogger, type Synapse, startSynapse } from '../test/helpers/synapse.ts'
import { type Receiver, startReceiver } from '../test/helpers/webhook-receiver.ts'

// The sdk's scheduler, rooms and RTC sessions log through its global loglevel logger (and the
// children it makes, which inherit its method factory), chattily and on stdout: keep only its
// errors (on stderr), so the bench's own lines stay readable.
const sdkRoot = sdkGlobalLogger as unknown as {
  methodFactory: (name: string, level: number, logger: unknown) => (...args: unknown[]) => void
  rebuild(): void
}
const makeMethod = sdkRoot.methodFactory
sdkRoot.methodFactory = (name, level, logger) =>
  name === 'error' ? makeMethod(name, level, logger) : () => {}
sdkRoot.rebuild()

/** The test clients' logger, minus the warnings a fresh account always gets (default push rules added). */
const clientLogger: typeof quietSdkLogger = {
  ...quietSdkLogger,
  warn: () => {},
  getChild: () => clientLogger,
}

const SECRET = 'matrix-bench-secret-0123456789abcdef'
/** The webhook conversation whose messages go into the room. */
export const TO_MATRIX = 'to-matrix'

/** A text event as alice's syncing client saw it. */
export interface Seen {
  /** performance.now() when the sdk emitted it. */
  readonly at: number
  readonly sender: string
  readonly eventId: string
}

export interface Rig {
  readonly synapse: Synapse
  readonly bridgeUrl: string
  readonly roomId: string
  readonly alice: MatrixClient
  readonly bob: MatrixClient
  readonly bobToken: string
  /** The registration's as_token: the bridge's own credentials at the homeserver. */
  readonly asToken: string
  /** The bridge's API with the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>
  /** Resolves when alice's client sees a room message with this body (register before sending). */
  seen(body: string, timeoutMs?: number): Promise<Seen>
  /** Called for every room message alice's client sees (burst counting). */
  onSeen(listener: ((body: string, at: number) => void) | undefined): void
  /** Resolves when the receiver (the stand-in for node delivery) gets a message with this text. */
  received(text: string, timeoutMs?: number): Promise<number>
  /** Stops everything that was started; safe to call more than once and after a failed start. */
  stop(): Promise<void>
}

function waitFor<T>(waiters: Map<string, (value: T) => void>, key: string, timeoutMs: number, what: string) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(key)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} "${key}"`))
    }, timeoutMs)
    waiters.set(key, (value) => {
      clearTimeout(timer)
      waiters.delete(key)
      resolve(value)
    })
  })
}

/**
 * Starts the rig. `onStop` receives the stop function at once, so a caller interrupted while
 * the rig is still starting can stop what has started so far.
 */
export async function startRig(onStop?: (stop: () => Promise<void>) => void): Promise<Rig> {
  let synapse: Synapse | undefined
  let bridge: BridgeProcess | undefined
  let receiver: Receiver | undefined
  const clients: MatrixClient[] = []
  const killBridge = () => bridge?.child.kill('SIGKILL')
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      for (const c of clients) c.stopClient()
      if (bridge) {
        const code = await Promise.race([
          bridge.stop(),
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000)),
        ])
        if (code === 'timeout') killBridge()
        else if (code !== 0) console.error(`the bridge exited with ${code}\n${bridge.stderr().slice(-2000)}`)
      }
      process.off('exit', killBridge)
      await synapse?.stop()
      await receiver?.close()
    })()
    return stopping
  }
  onStop?.(stop)

  try {
    // The receiver, with a hook on its record of deliveries so the bench learns of each at once.
    const receivedWaiters = new Map<string, (at: number) => void>()
    receiver = await startReceiver(SECRET)
    const record = receiver.received.set.bind(receiver.received)
    receiver.received.set = (key, message) => {
      receivedWaiters.get(message.body.text)?.(performance.now())
      return record(key, message)
    }

    // The bridge's data dir as `init` writes it, its registration pointed at the bridge's port.
    const port = await freePort()
    const made = await makeDataDir({
      api: { listen: `127.0.0.1:${port}` },
      node: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      log: { level: 'warn' },
    })
    const registrationPath = join(made.dir, 'registration.yaml')
    const registration = parse(readFileSync(registrationPath, 'utf8')) as Record<string, unknown>
    writeFileSync(registrationPath, stringify({ ...registration, url: `http://127.0.0.1:${port}` }))
    synapse = await startSynapse({ registration: registrationPath })
    const config = parse(readFileSync(made.configPath, 'utf8')) as Record<string, unknown>
    writeFileSync(
      made.configPath,
      stringify({
        ...config,
        adapters: {
          matrix: { enabled: true, homeserver_url: synapse.baseUrl, server_name: synapse.serverName },
        },
      }),
    )
    bridge = await startCli(['--config', made.configPath], {}, 30_000)
    process.once('exit', killBridge)
    const bridgeUrl = bridge.url
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${bridgeUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${made.token}`, 'content-type': 'application/json' },
      })
    await until(
      async () => {
        const body = (await (await fetch(`${bridgeUrl}/readyz`)).json()) as {
          checks: Record<string, { ok: boolean }>
        }
        return body.checks.matrix?.ok ? true : undefined
      },
      30_000,
      'the homeserver ping to succeed',
    )

    const aliceLogin = await synapse.registerUser('alice', 'alice-password')
    const bobLogin = await synapse.registerUser('bob', 'bob-password')
    const alice = createClient({ baseUrl: synapse.baseUrl, ...aliceLogin, logger: clientLogger })
    const bob = createClient({ baseUrl: synapse.baseUrl, ...bobLogin, logger: clientLogger })
    clients.push(alice, bob)
    const bot = `@_mainframe_bot:${synapse.serverName}`
    const roomId = (await alice.createRoom({ name: 'bench portal', invite: [bot, bobLogin.userId] })).room_id
    await bob.joinRoom(roomId)
    await until(
      async () => ((await alice.getJoinedRoomMembers(roomId)).joined[bot] ? true : undefined),
      20_000,
      'the bot to accept the invite',
    )
    for (const link of [
      {
        name: 'bench: webhook to matrix',
        endpoints: [
          { network: 'webhook', address: TO_MATRIX, direction: 'out', options: { secret: SECRET } },
          { network: 'matrix', address: roomId, direction: 'in', options: {} },
        ],
      },
      {
        name: 'bench: matrix to the receiver',
        endpoints: [
          { network: 'matrix', address: roomId, direction: 'out', options: {} },
          { network: 'webhook', address: receiver.url, direction: 'in', options: { secret: SECRET } },
        ],
      },
    ]) {
      const res = await api('/v1/links', { method: 'POST', body: JSON.stringify(link) })
      if (res.status !== 201)
        throw new Error(`creating link "${link.name}": ${res.status} ${await res.text()}`)
    }

    // Alice syncs for real. The filter lifts the timeline limit (Synapse's default is 10 per
    // sync), so a burst arrives whole instead of as a gappy "limited" sync.
    const seenWaiters = new Map<string, (seen: Seen) => void>()
    let seenListener: ((body: string, at: number) => void) | undefined
    alice.on(
      RoomEvent.Timeline,
      (event: MatrixEvent, room: Room | undefined, toStart: boolean | undefined) => {
        if (toStart || room?.roomId !== roomId || event.getType() !== 'm.room.message') return
        const sender = event.getSender() ?? ''
        if (sender === aliceLogin.userId) return // her own local echo
        const at = performance.now()
        const body = String(event.getContent().body)
        seenListener?.(body, at)
        seenWaiters.get(body)?.({ at, sender, eventId: event.getId() ?? '' })
      },
    )
    const filter = new Filter(aliceLogin.userId)
    filter.setDefinition({ room: { timeline: { limit: 1000 }, rooms: [roomId] } })
    const prepared = new Promise<void>((resolve) => {
      const onSync = (state: SyncState) => {
        if (state !== SyncState.Prepared) return
        alice.off(ClientEvent.Sync, onSync)
        resolve()
      }
      alice.on(ClientEvent.Sync, onSync)
    })
    await alice.startClient({ initialSyncLimit: 1, filter })
    await prepared

    return {
      synapse,
      bridgeUrl,
      roomId,
      alice,
      bob,
      bobToken: bobLogin.accessToken,
      asToken: registration.as_token as string,
      api,
      seen: (body, timeoutMs = 30_000) => waitFor(seenWaiters, body, timeoutMs, "alice's client to see"),
      onSeen: (listener) => {
        seenListener = listener
      },
      received: (text, timeoutMs = 30_000) =>
        waitFor(receivedWaiters, text, timeoutMs, 'the receiver to get'),
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
