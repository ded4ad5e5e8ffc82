import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures, both directions: header `X-Mainframe-Signature: t=<unix seconds>,v1=<hex>`
 * where v1 = HMAC-SHA256(secret, `${t}.${raw body}`). The timestamp inside the MAC bounds
 * replays to the tolerance window; the message id (Idempotency-Key) dedupes within it.
 */
export const SIGNATURE_HEADER = 'x-mainframe-signature'

export function sign(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${mac(secret, unixSeconds, body)}`
}

export type Verdict = { ok: true } | { ok: false; reason: string }

/** Checks a signature header against the raw body; constant-time on the MAC. */
export function verify(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number,
): Verdict {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` }
  const parts = new Map(header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]))
  const t = Number(parts.get('t'))
  const given = parts.get('v1')
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given))
    return {
      ok: false,
      reason: `malformed ${SIGNATURE_HEADER} header (expected t=<unix seconds>,v1=<64 hex>)`,
    }
  if (Math.abs(nowSeconds - t) > toleranceSeconds)
    return {
      ok: false,
      reason: `signature timestamp ${t} is more than ${toleranceSeconds} s from now (${nowSeconds})`,
    }
  const expected = Buffer.from(mac(secret, t, body), 'hex')
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex')))
    return { ok: false, reason: 'signature does not match the body' }
  return { ok: true }
}

function mac(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')
}
