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
  /** The running node's view, in processes that hold one (roles all and node). */
  readonly live?: {
    /** Bound addresses with /p2p/<peer id> (the real ports when 0 was asked). */
    addresses(): string[]
    peers(): { peerId: string; addresses: string[]; direction: 'inbound' | 'outbound'; openedAt: number }[]
  }
}

const nodeSchema = z
  .object({
    peerId: z.string().meta({ example: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo' }),
    publicKeys: z.object({
      ed25519: z.string().meta({ description: 'Identity key, hex', example: '7d1f…' }),
      x25519: z.string().meta({ description: 'Encryption key derived from the identity key, hex' }),
    }),
    listen: z.array(z.string()).meta({ example: ['/ip4/127.0.0.1/tcp/4001'] }),
    addresses: z.array(z.string()).meta({
      description:
        'Bound addresses with /p2p/<peer id>: what other nodes bootstrap from (empty without a node)',
      example: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'],
    }),
    version: z.string(),
  })
  .openapi('Node')

const peersSchema = z
  .object({
    running: z.boolean().meta({ description: 'false in a process without a node (role worker)' }),
    peers: z.array(
      z.object({
        peerId: z.string(),
        addresses: z.array(z.string()),
        direction: z.enum(['inbound', 'outbound']),
        openedAt: z.number().meta({ description: 'Epoch ms the first open connection was made' }),
      }),
    ),
  })
  .openapi('Peers')

const getPeers = createRoute({
  method: 'get',
  path: '/v1/node/peers',
  summary: 'Peers this node is connected to',
  tags: ['node'],
  security: bearer('read'),
  responses: {
    200: { content: { 'application/json': { schema: peersSchema } }, description: 'Connected peers' },
    ...authErrors,
  },
})

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
  app.openapi({ ...getNode, middleware: [read] as const }, (c) =>
    c.json({ ...body, addresses: info.live?.addresses() ?? [] }, 200),
  )
  app.openapi({ ...getPeers, middleware: [read] as const }, (c) =>
    c.json({ running: info.live !== undefined, peers: info.live?.peers() ?? [] }, 200),
  )
  return app
}
