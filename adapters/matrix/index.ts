import type {
  Adapter,
  AdapterComponents,
  AdapterContext,
  AdapterFactory,
  Capabilities,
  Delivery,
  FailureReporting,
  HealthReporting,
  Target,
} from '../../src/adapter.ts'
import { BridgeError } from '../../src/core/errors.ts'
import { type MessageId, messageId } from '../../src/core/ids.ts'
import type { BridgeMessage } from '../../src/core/message.ts'
import type { BlobRepo, CursorRepo, DedupeRepo, NativeIdRepo } from '../../src/store/port.ts'
import { groupOfAlias, openAliasPortal } from './alias-portals.ts'
import { type AppserviceHandlers, appserviceRoutes } from './appservice.ts'
import { commandPorts } from './bot.ts'
import { type Command, type CommandPorts, parseCommand, runCommand } from './commands.ts'
import { DisplayNames } from './display-names.ts'
import { EventMap } from './event-map.ts'
import { Ghosts, peerIdOfGhost } from './ghosts.ts'
import { Homeserver } from './homeserver.ts'
import { MatrixMedia } from './media.ts'
import { membershipNotice } from './membership.ts'
import type { PortalLinks } from './portals.ts'
import { GHOST_PREFIX, type Registration } from './registration.ts'
import { eventToMessage } from './translate/inbound.ts'
import { messageToContent } from './translate/outbound.ts'
import { refusalError } from './translate/outcome.ts'

export interface MatrixOptions {
  readonly homeserverUrl: string
  readonly serverName: string
  readonly registration: Registration
  readonly maxBodyBytes: number
  readonly mediaMaxBytes: number
  /** Durable marks: transaction ids seen, ghosts registered. */
  readonly dedupe: DedupeRepo
  /** Small durable values: the display name set on each ghost. */
  readonly cursors: CursorRepo
  /**
   * Matrix event id ↔ bridged message id, per room (network `matrix`, scope the room id), for
   * relations (replies, edits, reactions, redactions) across restarts and processes.
   */
  readonly natives: NativeIdRepo
  /** Attachments' bytes: files downloaded from Matrix go in, files uploaded to it come out. */
  readonly blobs: BlobRepo
  /** The links the bot's `!mf link` and `!mf unlink` make and remove. */
  readonly portals: PortalLinks
}

/** How often the homeserver is pinged while it does not answer, then once it does. */
const PING_RETRY_MS = 5_000
const PING_OK_MS = 60_000

/**
 * Matrix as an application service (docs/matrix.md). Rooms are bridged by links with an
 * endpoint `{ network: 'matrix', address: '!room:server' }` (a portal). Inbound: the
 * homeserver pushes transactions to `/_matrix/app/v1/`; each event of a portal room from a
 * real user is translated and ingested before the transaction is acknowledged. Outbound: a
 * message is sent into the room by the ghost of its sender, with the origin's timestamp and
 * the message id as transaction id, so a retried delivery is one event.
 *
 * Relations cross both ways: every event that crosses is stored with its message id (the
 * first event of a message sent as several), so a reply, edit, reaction or redaction finds
 * its target after a restart too.
 *
 * Files cross both ways through the blob store (media.ts): downloaded with a size limit
 * (authenticated media) and uploaded as the ghost.
 *
 * Not bridged, with a notice in the room saying so: encrypted rooms, files over the media
 * limit, messages over the size limit, malformed events.
 */
export const matrix =
  (options: MatrixOptions): AdapterFactory =>
  (components: AdapterComponents): Adapter & HealthReporting =>
    new MatrixAdapter(options, components)

class MatrixAdapter implements Adapter, HealthReporting, FailureReporting {
  readonly network = 'matrix'
  readonly capabilities: Capabilities
  readonly #options: MatrixOptions
  readonly #components: AdapterComponents
  readonly #bot: string
  readonly #hs: Homeserver
  readonly #ghosts: Ghosts
  /** Recent pairs of `options.natives`, keyed `room|event` and `room|message`. */
  readonly #events: EventMap
  readonly #commands: CommandPorts
  readonly #names: DisplayNames
  readonly #media: MatrixMedia
  readonly #encrypted = new Set<string>()
  #health: { ok: boolean; detail?: string } = { ok: false, detail: 'not pinged yet' }
  #pinger: NodeJS.Timeout | undefined
  #stopped = false

  constructor(options: MatrixOptions, components: AdapterComponents) {
    this.#options = options
    this.#components = components
    this.capabilities = {
      kinds: new Set(['text', 'notice', 'emote', 'media', 'reaction', 'edit', 'redaction']),
      html: true,
      maxBytes: options.maxBodyBytes,
      ordered: true,
    }
    this.#bot = `@${options.registration.sender_localpart}:${options.serverName}`
    this.#hs = new Homeserver({
      baseUrl: options.homeserverUrl,
      asToken: options.registration.as_token,
      botUserId: this.#bot,
      log: components.log,
    })
    this.#ghosts = new Ghosts(this.#hs, options, options.serverName, this.#bot)
    this.#events = new EventMap(options.natives, components.log)
    this.#names = new DisplayNames(this.#hs, components.log)
    this.#commands = commandPorts(this.#hs, options.portals, this.#bot)
    const media = { hs: this.#hs, blobs: options.blobs, maxBytes: options.mediaMaxBytes, log: components.log }
    this.#media = new MatrixMedia(media)
  }

  async start(ctx: AdapterContext): Promise<void> {
    const handlers: AppserviceHandlers = {
      transaction: (txnId, events) => this.#transaction(ctx, txnId, events),
      user: (userId) => this.#userQuery(userId),
      alias: (alias) => this.#aliasQuery(alias),
    }
    ctx.specRoutes.route(
      '/',
      appserviceRoutes({
        hsToken: this.#options.registration.hs_token,
        dedupe: this.#options.dedupe,
        handlers,
        log: this.#components.log,
      }),
    )
    // The homeserver pings back through our HTTP server, which listens only after start:
    // the first ping waits a moment, and a homeserver not up yet is retried, not fatal.
    this.#pinger = setTimeout(() => void this.#ping(), 200)
  }

  health(): Promise<{ ok: boolean; detail?: string }> {
    return Promise.resolve(this.#health)
  }

  async deliver(msg: BridgeMessage, target: Target, _signal: AbortSignal): Promise<Delivery> {
    const roomId = target.address
    // Room versions 12 and later have no server part in room ids: `!opaque` is enough.
    if (!/^![\x21-\x7e]{1,254}$/.test(roomId))
      throw new BridgeError('MATRIX_TARGET_INVALID', `"${roomId.slice(0, 80)}" is not a Matrix room id`, {
        hint: 'a matrix endpoint address is a room id: !opaque or !opaque:server',
        status: 400,
      })
    if (this.#encrypted.has(roomId)) throw encryptedRoom(roomId)
    const related = msg.kind === 'chain-event' ? undefined : msg.relatesTo?.messageId
    const relatedEvent = related === undefined ? undefined : await this.#events.eventOf(roomId, related)
    // Files go up as the ghost that speaks, before the events that point at them.
    const uploaded =
      msg.kind === 'media'
        ? await this.#media.upload(msg, await this.#ghosts.ensure(msg.origin.sender, msg.origin.displayName))
        : undefined
    const out = messageToContent(msg, {
      resolve: (id) => (id === related ? relatedEvent : undefined),
      ...(uploaded ? { uploaded } : {}),
    })
    if (out.outcome === 'skip') return { deliveredAt: Date.now() }
    const ghost = await this.#ghosts.ensure(msg.origin.sender, msg.origin.displayName)
    await this.#ghosts.enter(roomId, ghost)
    let first: string | undefined
    for (const [i, event] of out.events.entries()) {
      const txnId = i === 0 ? msg.id : `${msg.id}.${i}`
      const eventId =
        event.type === 'm.room.redaction'
          ? await this.#hs.redact(roomId, ghost, event.redacts, txnId, event.content.reason)
          : await this.#sendRetryingMembership(roomId, ghost, event.type, event.content, txnId, msg.timestamp)
      first ??= eventId
    }
    if (first) await this.#events.remember(roomId, first, msg.id as MessageId)
    return first === undefined ? { deliveredAt: Date.now() } : { nativeId: first, deliveredAt: Date.now() }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#pinger)
    this.#hs.stop()
  }

  /** A ghost kicked or never joined gets back in once, then the send is tried again. */
  async #sendRetryingMembership(
    roomId: string,
    ghost: string,
    type: string,
    content: object,
    txnId: string,
    ts: number,
  ): Promise<string> {
    const send = () => this.#hs.send(roomId, ghost, type, content as Record<string, unknown>, txnId, ts)
    try {
      return await send()
    } catch (err) {
      if (!(err instanceof BridgeError) || err.code !== 'MATRIX_M_FORBIDDEN') throw err
      this.#ghosts.left(roomId, ghost)
      await this.#ghosts.enter(roomId, ghost)
      return await send()
    }
  }

  async #transaction(ctx: AdapterContext, txnId: string, events: readonly unknown[]): Promise<void> {
    const log = this.#components.log
    const known = await this.#events.related(events, (sender) => this.#isOurs(sender))
    for (const raw of events) {
      const event = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
      const roomId = typeof event.room_id === 'string' ? event.room_id : ''
      const sender = typeof event.sender === 'string' ? event.sender : ''
      const type = typeof event.type === 'string' ? event.type : ''
      if (type === 'm.room.member' && event.state_key === this.#bot) {
        await this.#botMembership(roomId, event)
        continue
      }
      // Our own ghosts and bot: what they say came from the bridge (echo suppression).
      if (this.#isOurs(sender)) continue
      if (type === 'm.room.encryption') {
        await this.#refuseEncrypted(roomId)
        continue
      }
      const command = type === 'm.room.message' ? commandIn(event) : undefined
      if (command) {
        await this.#command(roomId, sender, command)
        continue
      }
      if (!(await this.#isPortal(roomId))) continue
      if (type === 'm.room.member') {
        // A new display name applies from this event on.
        if (typeof event.state_key === 'string') this.#names.forget(roomId, event.state_key)
        // Membership of people (not of our ghosts) crosses as a notice.
        const notice = this.#isOurs(event.state_key) ? undefined : membershipNotice(raw, roomId)
        if (notice) await this.#ingest(ctx, txnId, notice)
        continue
      }
      const out = eventToMessage(raw, {
        roomId,
        // An event earlier in this transaction was remembered after the lookup: in the cache.
        resolve: (id) => known.get(roomId)?.get(id) ?? this.#events.cached(roomId, id),
        maxBodyBytes: this.#options.maxBodyBytes,
        maxMediaBytes: this.#options.mediaMaxBytes,
      })
      if (out.outcome === 'skip') {
        log.debug({ txnId, type, reason: out.reason }, 'matrix event skipped')
        continue
      }
      if (out.outcome === 'refuse') {
        log.info({ txnId, room: roomId, code: out.code, reason: out.reason }, 'matrix event not bridged')
        await this.#notice(roomId, `⚠️ ${out.reason}`, refusalError(out).hint)
        continue
      }
      // A file is downloaded (with its size limit) and stored before its message is ingested.
      const file = out.outcome === 'media' ? await this.#media.fetch(out) : out
      if (file.outcome === 'refuse') {
        await this.#notice(roomId, file.notice)
        continue
      }
      if (await this.#ingest(ctx, txnId, file.message))
        await this.#events.remember(roomId, file.message.origin.nativeId, file.message.id as MessageId)
    }
  }

  /** Ingests; false when the pipeline refused the message (a notice says so). */
  async #ingest(ctx: AdapterContext, txnId: string, message: BridgeMessage): Promise<boolean> {
    const roomId = message.conversation.id
    try {
      const result = await ctx.ingest(await this.#named(message))
      this.#components.log.debug(
        { txnId, id: result.id, duplicate: result.duplicate },
        'matrix event ingested',
      )
      return true
    } catch (err) {
      if (err instanceof BridgeError && err.retryable) throw err
      this.#components.log.warn({ err, txnId, room: roomId }, 'matrix event refused by the pipeline')
      await this.#notice(
        roomId,
        `⚠️ a message was not bridged: ${err instanceof BridgeError ? err.shortMessage : 'internal error'}`,
      )
      return false
    }
  }

  /** The message with its sender's display name in the room, when they have one. */
  async #named(message: BridgeMessage): Promise<BridgeMessage> {
    const userId = message.origin.sender.slice('matrix:'.length)
    const displayName = await this.#names.of(message.conversation.id, userId)
    return displayName
      ? ({ ...message, origin: { ...message.origin, displayName } } as BridgeMessage)
      : message
  }

  /** Runs a bot command and answers it in the room; a failure is answered too, never thrown. */
  async #command(roomId: string, sender: string, command: Command): Promise<void> {
    let answer: string
    try {
      answer = await runCommand(command, roomId, sender, this.#commands)
    } catch (err) {
      this.#components.log.warn({ err, room: roomId, command: command.name }, 'bot command failed')
      answer = `The command failed: ${err instanceof BridgeError ? err.shortMessage : 'internal error'}. Try again later.`
    }
    await this.#notice(roomId, answer)
  }

  /** The bot accepts invites at once (and says so when it cannot bridge the room). */
  async #botMembership(roomId: string, event: Record<string, unknown>): Promise<void> {
    const content = (event.content ?? {}) as Record<string, unknown>
    if (content.membership !== 'invite') return
    try {
      await this.#hs.join(roomId, this.#bot)
      if (await this.#hs.isEncrypted(roomId)) await this.#refuseEncrypted(roomId)
    } catch (err) {
      // A failed join is not worth a transaction resend (the inviter can invite again).
      this.#components.log.warn({ err, room: roomId }, 'the bot could not join a room it was invited to')
    }
  }

  async #refuseEncrypted(roomId: string): Promise<void> {
    if (this.#encrypted.has(roomId)) return
    this.#encrypted.add(roomId)
    await this.#notice(
      roomId,
      '🔒 This room is encrypted. Encrypted rooms are not bridged yet: nothing said here crosses the bridge.',
    )
  }

  async #isPortal(roomId: string): Promise<boolean> {
    const links = await this.#components.links.findByEndpoint('matrix', roomId)
    return links.some((l) =>
      l.endpoints.some((e) => e.network === 'matrix' && e.address === roomId && e.direction !== 'in'),
    )
  }

  /** An m.notice by the bot; a failure to say it is logged, never thrown (it is advice). */
  async #notice(roomId: string, text: string, hint?: string, replyTo?: string): Promise<void> {
    const body = hint ? `${text}\n${hint}` : text
    const reply = replyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } } : {}
    try {
      await this.#hs.send(
        roomId,
        this.#bot,
        'm.room.message',
        { msgtype: 'm.notice', body, ...reply },
        `notice.${Date.now()}.${Math.random().toString(36).slice(2)}`,
      )
    } catch (err) {
      this.#components.log.warn({ err, room: roomId }, 'could not post a notice in the room')
    }
  }

  /** Whether a sender is the bot or one of its ghosts. */
  #isOurs(sender: unknown): boolean {
    return typeof sender === 'string' && (sender === this.#bot || sender.startsWith(`@${GHOST_PREFIX}`))
  }

  /**
   * A message from a Matrix room that could not be delivered elsewhere: the bot says so in the
   * room, as a reply to it (never silence). The room sees the error code only: the message
   * may name internal hosts, and stays in the operator's log and `GET /v1/messages/{id}`.
   */
  async reportFailure(
    msg: BridgeMessage,
    target: { readonly network: string; readonly address: string },
    error: { readonly code: string; readonly message: string },
  ): Promise<void> {
    if (msg.origin.network !== 'matrix') return
    const where = target.network === 'mainframe' ? 'Mainframe' : target.network
    await this.#notice(
      msg.conversation.id,
      `⚠️ Your message could not be delivered to ${where} (${error.code}). The bridge operator can see why.`,
      undefined,
      msg.origin.nativeId,
    )
  }

  /** An alias query for `#_mainframe_<group id>` makes that group's portal room. */
  async #aliasQuery(alias: string): Promise<boolean> {
    const groupId = groupOfAlias(alias, this.#options.serverName)
    if (!groupId) return false
    const roomId = await openAliasPortal(this.#hs, this.#options.portals, this.#bot, groupId)
    this.#components.log.info({ room: roomId, group: groupId }, 'portal room made for a group alias')
    return true
  }

  /** A user query for a Mainframe ghost makes it exist; others in the namespace do not. */
  async #userQuery(userId: string): Promise<boolean> {
    const localpart = /^@([^:]+):/.exec(userId)?.[1] ?? ''
    const peerId = peerIdOfGhost(localpart)
    if (!peerId || !userId.endsWith(`:${this.#options.serverName}`)) return false
    await this.#ghosts.ensure(`mf:${peerId}`)
    return true
  }

  async #ping(): Promise<void> {
    if (this.#stopped) return
    try {
      const ms = await this.#hs.ping(this.#options.registration.id)
      this.#health = { ok: true, detail: `homeserver round trip ${ms} ms` }
    } catch (err) {
      const detail = err instanceof BridgeError ? err.shortMessage : String(err)
      if (this.#health.ok || this.#health.detail === 'not pinged yet')
        this.#components.log.warn({ err }, 'the homeserver ping failed; retrying')
      this.#health = { ok: false, detail }
    }
    if (!this.#stopped)
      this.#pinger = setTimeout(() => void this.#ping(), this.#health.ok ? PING_OK_MS : PING_RETRY_MS)
  }
}

/** The bot command in an m.room.message event's body, if it is one. */
function commandIn(event: Record<string, unknown>): Command | undefined {
  const body = (event.content as { body?: unknown } | undefined)?.body
  return typeof body === 'string' ? parseCommand(body) : undefined
}

function encryptedRoom(roomId: string): BridgeError {
  return new BridgeError('MATRIX_ROOM_ENCRYPTED', `room ${roomId} is encrypted: not bridged`, {
    hint: 'encrypted rooms are not bridged yet; link an unencrypted room',
    status: 422,
  })
}

/** The message id a Matrix event has once bridged (for tests and tools). */
export const matrixMessageId = (eventId: string): MessageId => messageId('matrix', eventId)
