import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { authErrors, bearer } from '../schemas.ts'

/** What the API shows of this node. */
export interface NodeInfo {
  readonly peerId: string
  readonly ed25519PublicKey: Uint8Array
  readonly x25519PublicKey: Uint8Array
  /** Multiaddrs the node listens on. */
  readonly listen: readonly string[]
  readonly version: string
}

const nodeSchema = z
  .object({
    peerId: z.string().meta({ example: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo' }),
    publicKeys: z.object({
      ed25519: z.string().meta({ description: 'Identity key, hex', example: '7d1f…' }),
      x25519: z.string().meta({ description: 'Encryption key derived from the identity key, hex' }),
    }),
    listen: z.array(z.string()).meta({ example: ['/ip4/127.0.0.1/tcp/4001'] }),
    version: z.string(),
  })
  .openapi('Node')

const getNode = createRoute({
  method: 'get',
  path: '/v1/node',
  summary: "This node's identity and addresses",
  tags: ['node'],
  security: bearer('read'),
  responses: {
    200: { content: { 'application/json': { schema: nodeSchema } }, description: 'The node' },
    ...authErrors,
  },
})

export function nodeRoutes(info: NodeInfo, read: MiddlewareHandler): OpenAPIHono {
  const app = new OpenAPIHono()
  const body = {
    peerId: info.peerId,
    publicKeys: {
      ed25519: Buffer.from(info.ed25519PublicKey).toString('hex'),
      x25519: Buffer.from(info.x25519PublicKey).toString('hex'),
    },
    listen: [...info.listen],
    version: info.version,
  }
  app.openapi({ ...getNode, middleware: [read] as const }, (c) => c.json(body, 200))
  return app
}
