import { Hono } from 'hono'
import { z } from 'zod'
import type { AdapterContext, LinkLookup } from '../../src/adapter.ts'
import { BridgeError, InvalidInputError } from '../../src/core/errors.ts'
import { messageId } from '../../src/core/ids.ts'
import { addressUri, bodySchema, replySchema } from '../../src/core/message.ts'
import { parseWith } from '../../src/core/validate.ts'
import { SIGNATURE_HEADER, verify } from './signature.ts'

/** What a webhook sender POSTs to /adapters/webhook/{linkId}. */
export const inboundSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(512)
      .meta({ description: 'Your id for this message; the same id is accepted once' }),
    sender: addressUri,
    kind: z.enum(['text', 'notice', 'emote']).default('text'),
    body: bodySchema,
    relatesTo: replySchema.optional(),
    timestamp: z.number().int().nonnegative().optional(),
  })
  .strict()

export interface InboundOptions {
  readonly links: LinkLookup
  readonly toleranceSeconds: number
}

/**
 * POST /adapters/webhook/{linkId}: a signed message from the link's webhook endpoint. The
 * signature is checked before the body is parsed; the message is acknowledged (202) only once
 * ingested. Answers 404 for an unknown link, 401 for a bad signature, 400 for a bad body.
 */
export function inboundRoutes(options: InboundOptions, ctx: () => AdapterContext): Hono {
  const app = new Hono()
  app.post('/:linkId', async (c) => {
    const linkId = c.req.param('linkId')
    const link = await options.links.get(linkId)
    const endpoint = link?.endpoints.find(
      (e) => e.network === 'webhook' && e.direction !== 'in' && typeof e.options.secret === 'string',
    )
    if (!link || !endpoint)
      throw new BridgeError(
        'LINK_NOT_FOUND',
        `no link "${linkId.slice(0, 64)}" with an inbound webhook endpoint`,
        {
          status: 404,
          hint: 'POST to /adapters/webhook/<link id> of a link that has a webhook endpoint with direction out or both',
        },
      )
    const raw = await c.req.text()
    const verdict = verify(
      endpoint.options.secret as string,
      raw,
      c.req.header(SIGNATURE_HEADER),
      Math.floor(Date.now() / 1000),
      options.toleranceSeconds,
    )
    if (!verdict.ok)
      throw new BridgeError('WEBHOOK_SIGNATURE_INVALID', verdict.reason, {
        status: 401,
        hint: 'sign with the endpoint secret: X-Mainframe-Signature: t=<unix seconds>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))',
      })
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch {
      throw new InvalidInputError('JSON_INVALID', 'the body is not valid JSON', {
        hint: 'send application/json',
      })
    }
    const input = parseWith(inboundSchema, json, 'webhook message', 'WEBHOOK_MESSAGE_INVALID')
    const nativeId = `${link.id}/${input.id}`
    const result = await ctx().ingest({
      id: messageId('webhook', nativeId),
      kind: input.kind,
      origin: { network: 'webhook', nativeId, sender: input.sender },
      conversation: { network: 'webhook', id: endpoint.address },
      timestamp: input.timestamp ?? Date.now(),
      body: input.body,
      attachments: [],
      ...(input.relatesTo ? { relatesTo: input.relatesTo } : {}),
    })
    return c.json(result, 202)
  })
  return app
}
