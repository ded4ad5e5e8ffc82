import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { BridgeError } from '../../core/errors.ts'
import { networkName } from '../../core/message.ts'
import type { Link, LinkRepo } from '../../store/port.ts'
import { authErrors, bearer, errorSchema } from '../schemas.ts'

const endpointSchema = z
  .object({
    network: networkName,
    address: z.string().min(1).max(2048).meta({ example: 'https://example.com/hook' }),
    direction: z.enum(['in', 'out', 'both']).default('both').meta({
      description: 'in: only receives; out: only sends; both',
    }),
    options: z.record(z.string(), z.unknown()).default({}).meta({
      description:
        'Adapter settings of this endpoint, e.g. {"secret": "…"} for a webhook. Secrets are never shown back.',
    }),
  })
  .strict()

const linkInput = {
  name: z.string().min(1).max(200),
  endpoints: z.array(endpointSchema).min(2).max(32),
  acl: z
    .object({ allowSenders: z.array(z.string().min(1).max(512)).max(1000).nullable() })
    .strict()
    .meta({ description: 'allowSenders: address URIs, * as a wildcard; null allows everyone' }),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullable(),
}
const createSchema = z
  .object({
    ...linkInput,
    acl: linkInput.acl.optional(),
    rateLimitPerMinute: linkInput.rateLimitPerMinute.optional(),
  })
  .strict()
  .openapi('LinkInput')
const patchSchema = createSchema.partial().openapi('LinkPatch')
const linkSchema = z
  .object({ id: z.string(), ...linkInput, createdAt: z.number(), updatedAt: z.number() })
  .openapi('Link')
const idParam = z.object({ id: z.string().min(1).max(64) })
const errorBody = { content: { 'application/json': { schema: errorSchema } } }
const one = { content: { 'application/json': { schema: linkSchema } } }

const routes = {
  create: createRoute({
    method: 'post',
    path: '/v1/links',
    summary: 'Bridge conversations of different networks',
    tags: ['links'],
    security: bearer('admin'),
    request: { body: { content: { 'application/json': { schema: createSchema } }, required: true } },
    responses: {
      201: { ...one, description: 'Created' },
      400: { ...errorBody, description: 'Invalid link' },
      ...authErrors,
    },
  }),
  list: createRoute({
    method: 'get',
    path: '/v1/links',
    summary: 'Every link',
    tags: ['links'],
    security: bearer('read'),
    responses: {
      200: {
        content: { 'application/json': { schema: z.object({ links: z.array(linkSchema) }) } },
        description: 'Links',
      },
      ...authErrors,
    },
  }),
  get: createRoute({
    method: 'get',
    path: '/v1/links/{id}',
    summary: 'One link',
    tags: ['links'],
    security: bearer('read'),
    request: { params: idParam },
    responses: {
      200: { ...one, description: 'The link' },
      404: { ...errorBody, description: 'No such link' },
      ...authErrors,
    },
  }),
  patch: createRoute({
    method: 'patch',
    path: '/v1/links/{id}',
    summary: 'Change a link (endpoints are replaced as a whole)',
    tags: ['links'],
    security: bearer('admin'),
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: patchSchema } }, required: true },
    },
    responses: {
      200: { ...one, description: 'Updated' },
      404: { ...errorBody, description: 'No such link' },
      ...authErrors,
    },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/v1/links/{id}',
    summary: 'Remove a link; messages already routed are still delivered',
    tags: ['links'],
    security: bearer('admin'),
    request: { params: idParam },
    responses: {
      204: { description: 'Deleted' },
      404: { ...errorBody, description: 'No such link' },
      ...authErrors,
    },
  }),
}

const SECRET_OPTION = /secret|token|password|key/i

/** A link as the API shows it: option values that look secret are masked. */
function shown(link: Link): z.infer<typeof linkSchema> {
  return {
    ...link,
    endpoints: link.endpoints.map((e) => ({
      ...e,
      options: Object.fromEntries(
        Object.entries(e.options).map(([k, v]) => [k, SECRET_OPTION.test(k) ? '***' : v]),
      ),
    })),
  }
}

function notFound(id: string): BridgeError {
  return new BridgeError('LINK_NOT_FOUND', `no link ${id}`, {
    status: 404,
    hint: 'GET /v1/links lists the links',
  })
}

export function linkRoutes(links: LinkRepo, read: MiddlewareHandler, admin: MiddlewareHandler): OpenAPIHono {
  const app = new OpenAPIHono()
  app.openapi({ ...routes.create, middleware: [admin] as const }, async (c) => {
    const link = await links.create(c.req.valid('json'))
    return c.json(shown(link), 201)
  })
  app.openapi({ ...routes.list, middleware: [read] as const }, async (c) =>
    c.json({ links: (await links.list()).map(shown) }, 200),
  )
  app.openapi({ ...routes.get, middleware: [read] as const }, async (c) => {
    const { id } = c.req.valid('param')
    const link = await links.get(id)
    if (!link) throw notFound(id)
    return c.json(shown(link), 200)
  })
  app.openapi({ ...routes.patch, middleware: [admin] as const }, async (c) => {
    const { id } = c.req.valid('param')
    const link = await links.update(id, c.req.valid('json'))
    if (!link) throw notFound(id)
    return c.json(shown(link), 200)
  })
  app.openapi({ ...routes.delete, middleware: [admin] as const }, async (c) => {
    const { id } = c.req.valid('param')
    if (!(await links.delete(id))) throw notFound(id)
    return c.body(null, 204)
  })
  return app
}
