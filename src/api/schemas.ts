import { z } from '@hono/zod-openapi'

/** Shared response schemas of the HTTP API. */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'UNAUTHORIZED' }),
      message: z.string().meta({ example: 'missing bearer token' }),
      hint: z.string().meta({ example: 'send "Authorization: Bearer <token>"' }),
    }),
  })
  .openapi('Error')

const errorResponse = (description: string) => ({
  content: { 'application/json': { schema: errorSchema } },
  description,
})

/** The error responses every authenticated route may give. */
export const authErrors = {
  401: errorResponse('Missing, unknown or revoked token'),
  403: errorResponse('The token lacks the scope this route needs'),
} as const

export const bearer = (scope: 'read' | 'send' | 'admin') => [{ bearer: [scope] }]
