import {
  ClientPrefix,
  createClient,
  type ICreateClientOpts,
  type IRequestOpts,
  type MatrixClient,
  MatrixError,
  MediaPrefix,
  Method,
} from 'matrix-js-sdk'
import { BridgeError } from '../../src/core/errors.ts'
import type { Logger } from '../../src/log/logger.ts'
import { type LimitedBody, readLimited } from './limited-body.ts'
import type { MxcUri } from './translate/mxc.ts'

/** A downloaded file and the media type it was served with, or a file over the limit. */
export type Download =
  | { readonly kind: 'ok'; readonly bytes: Uint8Array; readonly mediaType?: string }
  | Extract<LimitedBody, { kind: 'too-large' }>

/** How long one client-server call may take. */
const REQUEST_TIMEOUT_MS = 30_000
/** How long a media upload or download may take (files of up to media_max_bytes). */
const MEDIA_TIMEOUT_MS = 120_000

/**
 * The bridge → homeserver side of the application service: client-server calls made with the
 * as_token through matrix-js-sdk, as the bridge bot or as a ghost (`?user_id=`). Every failure
 * becomes a BridgeError: 429, 5xx and network errors retryable, other 4xx not.
 */
export class Homeserver {
  readonly #client: MatrixClient
  readonly #asToken: string
  readonly #baseUrl: string
  readonly #log: Logger
  /** Aborts every request in flight at stop, so none holds the process open. */
  readonly #abort = new AbortController()

  constructor(options: { baseUrl: string; asToken: string; botUserId: string; log: Logger }) {
    this.#baseUrl = options.baseUrl
    this.#asToken = options.asToken
    this.#log = options.log
    this.#client = createClient({
      baseUrl: options.baseUrl,
      accessToken: options.asToken,
      userId: options.botUserId,
      logger: sdkLogger(options.log),
    })
  }

  /**
   * `POST /_matrix/client/v1/appservice/{id}/ping`: the homeserver calls our ping route back;
   * resolves with its round trip in ms.
   */
  async ping(appserviceId: string): Promise<number> {
    const answer = await this.#call<{ duration_ms: number }>(
      Method.Post,
      `/appservice/${encodeURIComponent(appserviceId)}/ping`,
      {},
      {},
      ClientPrefix.V1,
    )
    return answer.duration_ms
  }

  /** Registers a user of the namespace; one that exists already is fine. */
  async register(localpart: string): Promise<void> {
    try {
      await this.#call(
        Method.Post,
        '/register',
        {},
        {
          type: 'm.login.application_service',
          username: localpart,
          inhibit_login: true,
        },
      )
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'MATRIX_M_USER_IN_USE') return
      throw err
    }
  }

  async setDisplayName(userId: string, name: string): Promise<void> {
    await this.#call(
      Method.Put,
      `/profile/${encodeURIComponent(userId)}/displayname`,
      { user_id: userId },
      {
        displayname: name,
      },
    )
  }

  async join(roomId: string, userId: string): Promise<void> {
    await this.#call(Method.Post, `/join/${encodeURIComponent(roomId)}`, { user_id: userId }, {})
  }

  async invite(roomId: string, inviter: string, invitee: string): Promise<void> {
    await this.#call(
      Method.Post,
      `/rooms/${encodeURIComponent(roomId)}/invite`,
      { user_id: inviter },
      {
        user_id: invitee,
      },
    )
  }

  /**
   * Sends an event as `userId`, with the origin's timestamp (`ts`, timestamp massaging) and a
   * transaction id the homeserver dedupes per user: the same delivery retried is one event.
   */
  async send(
    roomId: string,
    userId: string,
    type: string,
    content: Record<string, unknown>,
    txnId: string,
    ts?: number,
  ): Promise<string> {
    const query: Record<string, string> = { user_id: userId, ...(ts === undefined ? {} : { ts: String(ts) }) }
    const path = `/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`
    const answer = await this.#call<{ event_id: string }>(Method.Put, path, query, content)
    return answer.event_id
  }

  async redact(
    roomId: string,
    userId: string,
    eventId: string,
    txnId: string,
    reason?: string,
  ): Promise<string> {
    const path = `/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${encodeURIComponent(txnId)}`
    const answer = await this.#call<{ event_id: string }>(
      Method.Put,
      path,
      { user_id: userId },
      reason === undefined ? {} : { reason },
    )
    return answer.event_id
  }

  /** Whether the room's state has an m.room.encryption event (read as the bot). */
  async isEncrypted(roomId: string): Promise<boolean> {
    return (await this.state(roomId, 'm.room.encryption')) !== undefined
  }

  /** The content of a state event (read as the bot), or undefined when the room has none. */
  state(roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown> | undefined> {
    return this.#readState(roomId, type, stateKey, {})
  }

  /** A whole state event (sender included), or undefined when the room has none. */
  stateEvent(roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown> | undefined> {
    return this.#readState(roomId, type, stateKey, { format: 'event' })
  }

  async #readState(
    roomId: string,
    type: string,
    stateKey: string,
    query: Record<string, string>,
  ): Promise<Record<string, unknown> | undefined> {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`
    try {
      return await this.#call<Record<string, unknown>>(Method.Get, path, query)
    } catch (err) {
      if (err instanceof BridgeError && err.code === 'MATRIX_M_NOT_FOUND') return undefined
      throw err
    }
  }

  /** Creates a room as `userId` (`/createRoom` body as the spec has it); resolves with its id. */
  async createRoom(userId: string, body: Record<string, unknown>): Promise<string> {
    const answer = await this.#call<{ room_id: string }>(
      Method.Post,
      '/createRoom',
      { user_id: userId },
      body,
    )
    return answer.room_id
  }

  /** Sets a state event as `userId`; resolves with its event id. */
  async setState(
    roomId: string,
    userId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`
    const answer = await this.#call<{ event_id: string }>(Method.Put, path, { user_id: userId }, content)
    return answer.event_id
  }

  /**
   * Downloads a file through authenticated media (Matrix 1.11, `GET
   * /_matrix/client/v1/media/download/{serverName}/{mediaId}`) with the as_token, reading at
   * most `maxBytes`: a larger file is not read further (`too-large`, with the size the server
   * declared, if it did). Plain fetch, not the sdk: its raw responses are read whole, with no
   * limit. Resolves with the bytes and the media type the server answered with.
   * @throws BridgeError as other calls (a missing file is MATRIX_M_NOT_FOUND, not retryable).
   */
  async download(mxc: MxcUri, maxBytes: number): Promise<Download> {
    const [serverName = '', mediaId = ''] = mxc.slice('mxc://'.length).split('/')
    const path = `/_matrix/client/v1/media/download/${encodeURIComponent(serverName)}/${encodeURIComponent(mediaId)}`
    try {
      const res = await fetch(`${this.#baseUrl.replace(/\/$/, '')}${path}`, {
        headers: { authorization: `Bearer ${this.#asToken}` },
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(MEDIA_TIMEOUT_MS)]),
      })
      if (!res.ok) throw new MatrixError(await errorJson(res), res.status, path)
      const body = await readLimited(res, maxBytes)
      if (body.kind === 'too-large') return body
      const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim()
      return mediaType ? { ...body, mediaType } : body
    } catch (err) {
      throw homeserverError(err, Method.Get, path, this.#baseUrl)
    }
  }

  /**
   * Uploads a file as `userId` (`POST /_matrix/media/v3/upload?user_id=…&filename=…`, the
   * as_token); resolves with its mxc URI. Each call is a new file on the homeserver.
   */
  async upload(userId: string, bytes: Uint8Array, mediaType: string, filename: string): Promise<MxcUri> {
    const path = '/upload'
    try {
      const answer = await this.#client.http.authedRequest<{ content_uri: string }>(
        Method.Post,
        path,
        { user_id: userId, filename },
        bytes as unknown as Record<string, unknown>,
        {
          prefix: MediaPrefix.V3,
          headers: { 'Content-Type': mediaType },
          abortSignal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(MEDIA_TIMEOUT_MS)]),
        } as Partial<IRequestOpts> as IRequestOpts,
      )
      return answer.content_uri as MxcUri
    } catch (err) {
      throw homeserverError(err, Method.Post, `${MediaPrefix.V3}${path}`, this.#baseUrl)
    }
  }

  async #call<T = unknown>(
    method: Method,
    path: string,
    query: Record<string, string>,
    body?: Record<string, unknown>,
    prefix: string = ClientPrefix.V3,
  ): Promise<T> {
    try {
      return await this.#client.http.authedRequest<T>(method, path, query, body, {
        prefix,
        // Our own timeout: the sdk's localTimeoutMs leaves its timer running after a failed
        // request, which held a stopping process open for 30 s. AbortSignal.timeout does not.
        abortSignal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      } as IRequestOpts)
    } catch (err) {
      throw homeserverError(err, method, path, this.#baseUrl)
    }
  }

  /** For the log: which homeserver, never the token. */
  toJSON() {
    return { baseUrl: this.#baseUrl, hasToken: this.#asToken.length > 0 }
  }

  stop(): void {
    this.#abort.abort()
    this.#client.stopClient()
    this.#log.debug('homeserver client stopped')
  }
}

/** The JSON error body of a failed response, or a stand-in when it has none. */
async function errorJson(res: Response): Promise<{ errcode?: string; error?: string }> {
  const text = await res.text().catch(() => '')
  try {
    const json = JSON.parse(text) as unknown
    if (typeof json === 'object' && json !== null) return json as { errcode?: string; error?: string }
  } catch {
    // Not JSON (a proxy's page): the status alone says it.
  }
  return { errcode: res.status === 404 ? 'M_NOT_FOUND' : 'M_UNKNOWN', error: text.slice(0, 200) }
}

/** A homeserver failure as a BridgeError with the Matrix errcode in its code. */
export function homeserverError(err: unknown, method: string, path: string, baseUrl: string): BridgeError {
  if (err instanceof MatrixError) {
    const status = err.httpStatus ?? 500
    const errcode = err.errcode ?? 'M_UNKNOWN'
    return new BridgeError(
      `MATRIX_${errcode}`,
      `${method} ${path.split('?')[0]} → ${status} ${errcode}: ${err.data?.error ?? ''}`.trim(),
      {
        hint: hintFor(errcode, status),
        status: status >= 400 && status < 600 ? (status as 400) : 502,
        retryable: status === 429 || status >= 500,
        cause: err,
      },
    )
  }
  return new BridgeError(
    'MATRIX_UNREACHABLE',
    `${method} ${path.split('?')[0]}: the homeserver at ${baseUrl} did not answer`,
    {
      hint: 'check adapters.matrix.homeserver_url and that the homeserver runs; the bridge retries',
      retryable: true,
      status: 502,
      cause: err,
    },
  )
}

function hintFor(errcode: string, status: number): string {
  if (errcode === 'M_UNKNOWN_TOKEN' || (errcode === 'M_FORBIDDEN' && status === 401))
    return "the homeserver does not know the as_token: load this bridge's registration.yaml in it and restart it"
  if (errcode === 'M_EXCLUSIVE') return 'the user is outside the registration namespaces'
  if (errcode === 'M_FORBIDDEN')
    return 'the ghost or bot lacks the permission in that room (membership, power level)'
  if (status === 429) return 'rate limited: set rate_limited: false in the registration; retried with backoff'
  return 'see the homeserver log for the request'
}

/** matrix-js-sdk logs through ours at debug (it is chatty), warnings and errors as they are. */
function sdkLogger(log: Logger): NonNullable<ICreateClientOpts['logger']> {
  const text = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : String(p))).join(' ')
  const logger: NonNullable<ICreateClientOpts['logger']> = {
    trace: () => {},
    debug: () => {},
    info: (...parts: unknown[]) => log.debug({ sdk: text(parts) }, 'matrix-js-sdk'),
    warn: (...parts: unknown[]) => log.warn({ sdk: text(parts) }, 'matrix-js-sdk'),
    error: (...parts: unknown[]) => log.error({ sdk: text(parts) }, 'matrix-js-sdk'),
    getChild: () => logger,
  }
  return logger
}
