import type { Delivery, Target } from '../../src/adapter.ts'
import { BridgeError } from '../../src/core/errors.ts'
import type { BridgeMessage } from '../../src/core/message.ts'
import { redactUrl } from '../../src/core/redact.ts'
import { sign } from './signature.ts'

/**
 * Delivers a message as an HTTP POST of its JSON, signed with the endpoint's secret, with the
 * message id as `Idempotency-Key`. 2xx is delivered; 408, 429, 5xx and network failures are
 * retryable; any other 4xx is permanent (the receiver said no: dead letters with its status).
 */
export async function post(
  msg: BridgeMessage,
  target: Target,
  signal: AbortSignal,
  userAgent: string,
): Promise<Delivery> {
  const secret = target.options.secret
  if (typeof secret !== 'string' || secret.length === 0)
    throw new BridgeError(
      'WEBHOOK_NO_SECRET',
      `webhook endpoint ${redactUrl(target.address)} has no signing secret`,
      {
        hint: 'set options.secret on the endpoint (PATCH /v1/links/{id})',
        retryable: false,
      },
    )
  const body = JSON.stringify(msg)
  let res: Response
  try {
    res = await fetch(target.address, {
      method: 'POST',
      body,
      signal,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': msg.id,
        'user-agent': userAgent,
        'x-mainframe-signature': sign(secret, body, Math.floor(Date.now() / 1000)),
      },
    })
  } catch (cause) {
    throw new BridgeError('WEBHOOK_UNREACHABLE', `cannot reach ${redactUrl(target.address)}`, {
      cause: (cause as { cause?: unknown }).cause ?? cause,
      hint: 'the receiver is down or the address is wrong; the delivery is retried with backoff',
      retryable: true,
    })
  }
  await drain(res)
  if (res.ok) {
    const nativeId = res.headers.get('x-delivery-id')
    return { deliveredAt: Date.now(), ...(nativeId ? { nativeId } : {}) }
  }
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500
  throw new BridgeError(
    'WEBHOOK_REJECTED',
    `${redactUrl(target.address)} answered ${res.status} ${res.statusText}`.trim(),
    {
      hint: retryable
        ? 'the receiver is busy or failing; the delivery is retried'
        : 'the receiver refused the message; fix the receiver, then retry it from dead letters',
      retryable,
    },
  )
}

/** Bodies up to this size are read to the end, so the connection goes back to the pool. */
const DRAIN_LIMIT = 64 * 1024

/**
 * Reads the answer to its end when it is small (the body is not used), so the kept-alive
 * connection goes back to the pool; cancelling it instead costs an abort error each time,
 * and now and then the connection. Past DRAIN_LIMIT bytes the rest is cancelled.
 */
async function drain(res: Response): Promise<void> {
  const reader = res.body?.getReader()
  if (!reader) return
  try {
    let read = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      read += value.byteLength
      if (read > DRAIN_LIMIT) {
        await reader.cancel()
        return
      }
    }
  } catch {
    // The delivery's outcome is the status; a broken body after it changes nothing.
  }
}
