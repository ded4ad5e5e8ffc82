import { createHash } from 'node:crypto'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { BridgeError } from '../../core/errors.ts'
import { messageId } from '../../core/ids.ts'
import {
  addressUri,
  attachmentSchema,
  bodySchema,
  bridgeMessageSchema,
  conversationSchema,
  messageIdSchema,
} from '../../core/message.ts'
import type { Relay } from '../../relay/pipeline.ts'
import type { Store } from '../../store/port.ts'
import { authErrors, bearer, errorSchema } from '../schemas.ts'

const sendSchema = z
  .object({
    conversation: conversationSchema,
    kind: z.enum(['text', 'notice', 'emote', 'media', 'reaction', 'edit', 'redaction']).default('text'),
    body: bodySchema,
    sender: addressUri.optional().meta({ description: "Who speaks; default: this node's mf: address" }),
    senderName: z.string().min(1).max(256).optional().meta({ description: "The sender's display name" }),
    attachments: z.array(attachmentSchema).max(64).optional(),
    relatesTo: z
      .object({
        type: z.enum(['reply', 'thread', 'reaction', 'edit', 'redaction']),
        messageId: messageIdSchema,
        key: z.string().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
    idempotencyKey: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .meta({ description: 'Same key, same message: sent once. Default: a hash of the request body.' }),
  })
  .strict()
  .openapi('SendMessage')

const acceptedSchema = z.object({ id: messageIdSchema, duplicate: z.boolean() }).openapi('Accepted')
const errorBody = { 'application/json': { schema: errorSchema } }

const deliverySchema = z.object({
  targetKey: z.string(),
  linkId: z.string(),
  network: z.string(),
  address: z.string(),
  state: z.enum(['pending', 'delivered', 'dead', 'refused']),
  attempts: z.number().int(),
  nativeId: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
  deliveredAt: z.number().nullable(),
})
const traceSchema = z.object({
  stage: z.enum(['ingest', 'route', 'deliver']),
  targetKey: z.string().nullable(),
  attempt: z.number().int(),
  startedAt: z.number(),
  durationMs: z.number(),
  outcome: z.enum(['ok', 'retry', 'dead', 'refused']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
})
const statusSchema = z
  .object({
    id: messageIdSchema,
    state: z.enum(['ingested', 'routed']),
    source: z.string(),
    receivedAt: z.number(),
    routedAt: z.number().nullable(),
    message: bridgeMessageSchema,
    targets: z.array(deliverySchema),
    traces: z.array(traceSchema),
  })
  .openapi('MessageStatus')

const sendRoute = createRoute({
  method: 'post',
  path: '/v1/messages',
  summary: 'Send a message into a conversation; it is relayed to every linked target',
  tags: ['messages'],
  security: bearer('send'),
  request: { body: { content: { 'application/json': { schema: sendSchema } }, required: true } },
  responses: {
    202: { content: { 'application/json': { schema: acceptedSchema } }, description: 'Persisted and queued' },
    400: { content: errorBody, description: 'Invalid message' },
    413: { content: errorBody, description: 'Body too large' },
    ...authErrors,
  },
})

const statusRoute = createRoute({
  method: 'get',
  path: '/v1/messages/{id}',
  summary: 'A message, its state per target and every attempt with its error',
  tags: ['messages'],
  security: bearer('read'),
  request: { params: z.object({ id: messageIdSchema }) },
  responses: {
    200: { content: { 'application/json': { schema: statusSchema } }, description: 'The message' },
    404: { content: errorBody, description: 'No such message' },
    ...authErrors,
  },
})

export interface MessageRoutesDeps {
  readonly store: Store
  readonly relay: Relay
  readonly nodeAddress: string
}

export function messageRoutes(
  deps: MessageRoutesDeps,
  send: MiddlewareHandler,
  read: MiddlewareHandler,
): OpenAPIHono {
  const app = new OpenAPIHono()
  app.openapi({ ...sendRoute, middleware: [send] as const }, async (c) => {
    const input = c.req.valid('json')
    const header = c.req.header('idempotency-key')
    const nativeId =
      input.idempotencyKey ?? header ?? createHash('sha256').update(JSON.stringify(input)).digest('hex')
    const { idempotencyKey: _ignored, sender, senderName, ...rest } = input
    const result = await deps.relay.ingest(
      {
        ...rest,
        id: messageId('api', nativeId),
        origin: {
          network: 'api',
          nativeId,
          sender: sender ?? deps.nodeAddress,
          ...(senderName === undefined ? {} : { displayName: senderName }),
        },
        timestamp: Date.now(),
        attachments: input.attachments ?? [],
      },
      'api',
    )
    return c.json(result, 202)
  })
  app.openapi({ ...statusRoute, middleware: [read] as const }, async (c) => {
    const { id } = c.req.valid('param')
    const stored = await deps.store.messages.get(id)
    if (!stored)
      throw new BridgeError('MESSAGE_NOT_FOUND', `no message ${id}`, {
        status: 404,
        hint: 'use the id POST /v1/messages answered with',
      })
    const [targets, traces] = await Promise.all([
      deps.store.deliveries.listByMessage(id),
      deps.store.traces.listByMessage(id),
    ])
    return c.json(
      {
        id,
        state: stored.state,
        source: stored.source,
        receivedAt: stored.receivedAt,
        routedAt: stored.routedAt,
        message: stored.message,
        targets: targets.map((t) => ({
          targetKey: t.targetKey,
          linkId: t.linkId,
          network: t.network,
          address: t.address,
          state: t.state,
          attempts: t.attempts,
          nativeId: t.nativeId,
          lastError: t.lastError,
          deliveredAt: t.deliveredAt,
        })),
        traces: traces.map((t) => ({
          stage: t.stage,
          targetKey: t.targetKey,
          attempt: t.attempt,
          startedAt: t.startedAt,
          durationMs: t.durationMs,
          outcome: t.outcome,
          error: t.error,
        })),
      },
      200,
    )
  })
  return app
}
