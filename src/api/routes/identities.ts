import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { BridgeError } from '../../core/errors.ts'
import { describeIssues } from '../../core/validate.ts'
import { type IdentityRepo, MAX_IDENTITY_PAGE } from '../../store/identity-port.ts'
import { authErrors, bearer } from '../schemas.ts'

const identitySchema = z
  .object({
    peerId: z.string().meta({ description: 'The bridge identity: write to it as mf:<peerId>' }),
    subject: z.string().meta({ description: 'Whom it stands for: their address on their network' }),
    createdAt: z.number().int(),
    announcedAt: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'When its hosted-by record was last put in the DHT; null: not yet' }),
  })
  .openapi('BridgeIdentity')

const listRoute = createRoute({
  method: 'get',
  path: '/v1/identities',
  summary: 'Bridge identities: the keys this bridge holds for people of other networks',
  tags: ['node'],
  security: bearer('read'),
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(MAX_IDENTITY_PAGE).default(100),
      after: z
        .string()
        .min(1)
        .max(128)
        .optional()
        .meta({ description: 'The last peer id of the previous page' }),
    }),
  },
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({
            identities: z.array(identitySchema),
            next: z
              .string()
              .nullable()
              .meta({ description: 'Pass as `after` for the next page; null: none' }),
          }),
        },
      },
      description: 'A page of identities ordered by peer id',
    },
    ...authErrors,
  },
})

/** GET /v1/identities (scope `read`): a page of bridge identities, never their keys. */
export function identityRoutes(identities: IdentityRepo, read: MiddlewareHandler): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success)
        throw new BridgeError('INVALID_REQUEST', `invalid request: ${describeIssues(result.error.issues)}`, {
          status: 400,
          hint: 'fix the fields named above; /openapi.json has the schema',
        })
    },
  })
  app.openapi({ ...listRoute, middleware: [read] as const }, async (c) => {
    const { limit, after } = c.req.valid('query')
    const page = await identities.list(after === undefined ? { limit } : { limit, after })
    const shown = page.map(({ peerId, subject, createdAt, announcedAt }) => ({
      peerId,
      subject,
      createdAt,
      announcedAt,
    }))
    return c.json(
      { identities: shown, next: page.length === limit ? (page.at(-1)?.peerId ?? null) : null },
      200,
    )
  })
  return app
}
