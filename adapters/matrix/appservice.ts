import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { BridgeError } from '../../src/core/errors.ts'
import type { Logger } from '../../src/log/logger.ts'
import type { DedupeRepo } from '../../src/store/port.ts'

/**
 * The homeserver → bridge side of the application service API (spec "Application Service
 * API", v1 paths), mounted at the root of the bridge's HTTP server:
 *
 * - `PUT /_matrix/app/v1/transactions/{txnId}`: answered 200 only once every event is safe
 *   (ingested, or skipped on purpose), so a crash or a store outage makes the homeserver resend
 *   instead of losing events; the txn id is remembered in the store, so a resend is answered
 *   at once without handling the events twice.
 * - `POST /_matrix/app/v1/ping`, `GET /_matrix/app/v1/users/{userId}`, `GET
 *   /_matrix/app/v1/rooms/{alias}`.
 * - Anything else under `/_matrix/`: 404 (405 for a wrong method) `M_UNRECOGNIZED`.
 *
 * Every request must carry `Authorization: Bearer <hs_token>` (compared in constant time):
 * none is 401 `M_UNAUTHORIZED`, a wrong one 403 `M_FORBIDDEN`.
 */
export interface AppserviceHandlers {
  /**
   * Handles one transaction's events in order. Resolves when every event is ingested or
   * deliberately skipped (a skip is logged with its reason). Rejects with a retryable
   * BridgeError when the homeserver must send the transaction again.
   */
  transaction(txnId: string, events: readonly unknown[], ephemeral: readonly unknown[]): Promise<void>
  /** Whether the user (in the bridge's namespace) exists now: made on demand. */
  user(userId: string): Promise<boolean>
  /** Whether the room alias (in the bridge's namespace) exists now: made on demand. */
  alias(alias: string): Promise<boolean>
}

/** Synapse sends at most 100 events (≤ 64 KiB each) and 100 ephemeral ones per transaction. */
const MAX_TRANSACTION_BYTES = 16 * 1024 * 1024
/** Txn ids are kept this long: far past Synapse's longest retry backoff. */
const TXN_TTL_MS = 7 * 24 * 3600_000
const TXN_SCOPE = 'matrix-txn'

export function appserviceRoutes(deps: {
  hsToken: string
  dedupe: DedupeRepo
  handlers: AppserviceHandlers
  log: Logger
}): Hono {
  const app = new Hono()
  const expected = digest(deps.hsToken)
  const log = deps.log

  app.use('/_matrix/*', async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7) : (c.req.query('access_token') ?? '')
    if (token === '')
      return matrixError(c, 401, 'M_UNAUTHORIZED', 'no hs_token: send Authorization: Bearer <hs_token>')
    if (!timingSafeEqual(digest(token), expected)) {
      log.warn({ path: c.req.path }, 'appservice request with a wrong hs_token refused')
      return matrixError(c, 403, 'M_FORBIDDEN', 'the hs_token does not match the registration')
    }
    await next()
  })

  app.put(
    '/_matrix/app/v1/transactions/:txnId',
    bodyLimit({
      maxSize: MAX_TRANSACTION_BYTES,
      onError: (c) => matrixError(c, 413, 'M_TOO_LARGE', `transaction over ${MAX_TRANSACTION_BYTES} bytes`),
    }),
    async (c) => {
      const txnId = c.req.param('txnId')
      if (txnId.length > 255)
        return matrixError(c, 400, 'M_INVALID_PARAM', 'txnId longer than 255 characters')
      if (await deps.dedupe.has(TXN_SCOPE, txnId)) return c.json({})
      let body: unknown
      try {
        body = await c.req.json()
      } catch {
        return matrixError(c, 400, 'M_NOT_JSON', 'the transaction body is not JSON')
      }
      const { events, ephemeral } = transactionBody(body)
      if (!events) return matrixError(c, 400, 'M_BAD_JSON', 'a transaction has an events array')
      try {
        await deps.handlers.transaction(txnId, events, ephemeral)
      } catch (err) {
        log.warn(
          { err, txnId, events: events.length },
          'transaction not taken; the homeserver will resend it',
        )
        const status = err instanceof BridgeError && !err.retryable ? 500 : 503
        return matrixError(c, status, 'M_UNKNOWN', 'the bridge could not take the events now; resend')
      }
      await deps.dedupe.remember(TXN_SCOPE, txnId, TXN_TTL_MS)
      return c.json({})
    },
  )
  app.post('/_matrix/app/v1/ping', (c) => c.json({}))
  app.get('/_matrix/app/v1/users/:userId', async (c) =>
    (await deps.handlers.user(c.req.param('userId')))
      ? c.json({})
      : matrixError(c, 404, 'M_NOT_FOUND', 'no such user in the bridge namespace'),
  )
  app.get('/_matrix/app/v1/rooms/:alias', async (c) =>
    (await deps.handlers.alias(c.req.param('alias')))
      ? c.json({})
      : matrixError(c, 404, 'M_NOT_FOUND', 'no such room alias in the bridge namespace'),
  )
  const known = [
    /^\/_matrix\/app\/v1\/transactions\/[^/]+$/,
    /^\/_matrix\/app\/v1\/ping$/,
    /^\/_matrix\/app\/v1\/(users|rooms)\/[^/]+$/,
  ]
  app.all('/_matrix/*', (c) =>
    known.some((re) => re.test(c.req.path))
      ? matrixError(c, 405, 'M_UNRECOGNIZED', `${c.req.method} is not allowed here`)
      : matrixError(c, 404, 'M_UNRECOGNIZED', 'unrecognized request'),
  )
  return app
}

function transactionBody(body: unknown): { events?: unknown[]; ephemeral: unknown[] } {
  if (typeof body !== 'object' || body === null) return { ephemeral: [] }
  const { events, ephemeral, 'de.sorunome.msc2409.ephemeral': unstable } = body as Record<string, unknown>
  const list = Array.isArray(ephemeral) ? ephemeral : Array.isArray(unstable) ? unstable : []
  return Array.isArray(events) ? { events, ephemeral: list } : { ephemeral: list }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

function matrixError(
  c: Context,
  status: 400 | 401 | 403 | 404 | 405 | 413 | 500 | 503,
  errcode: string,
  error: string,
) {
  return c.json({ errcode, error }, status)
}
