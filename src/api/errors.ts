import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { BridgeError, toBridgeError } from '../core/errors.ts'
import type { Logger } from '../log/logger.ts'

/** The one place where errors become HTTP responses: `{"error": {"code", "message", "hint"}}`. */
export function errorResponse(c: Context, err: unknown, log: Logger): Response {
  const error = fromHttpException(err) ?? toBridgeError(err)
  if (error.status >= 500) log.error({ err, method: c.req.method, path: c.req.path }, error.shortMessage)
  else log.debug({ code: error.code, method: c.req.method, path: c.req.path }, error.shortMessage)
  return c.json(error.toJSON(), error.status as ContentfulStatusCode)
}

export function notFound(c: Context): Response {
  return c.json(
    new BridgeError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`, {
      status: 404,
      hint: 'see /openapi.json for the routes this bridge serves',
    }).toJSON(),
    404,
  )
}

function fromHttpException(err: unknown): BridgeError | undefined {
  if (!(err instanceof HTTPException)) return undefined
  if (err.status === 413)
    return new BridgeError('BODY_TOO_LARGE', 'request body too large', {
      status: 413,
      hint: 'send a smaller body, or raise api.max_body_bytes',
    })
  if (err.status === 400 && /json/i.test(err.message))
    return new BridgeError('JSON_INVALID', 'the request body is not valid JSON', {
      status: 400,
      hint: 'send a JSON document with content-type: application/json',
    })
  return new BridgeError('HTTP_ERROR', err.message || 'bad request', {
    status: (err.status >= 400 && err.status < 600 ? err.status : 400) as BridgeError['status'],
  })
}
