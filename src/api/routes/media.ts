import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { BridgeError } from '../../core/errors.ts'
import { describeIssues } from '../../core/validate.ts'
import { type BlobRepo, MAX_BLOB_BYTES } from '../../store/blob-port.ts'
import { authErrors, bearer, errorSchema } from '../schemas.ts'

/** Where files are uploaded; app.ts exempts it from the API's body limit (it has its own). */
export const MEDIA_UPLOAD_PATH = '/v1/media'

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/
const errorBody = { 'application/json': { schema: errorSchema } }

const storedSchema = z
  .object({
    hash: z.string().meta({ description: 'SHA-256 of the bytes, lower-case hex: the attachment hash' }),
    size: z.number().int(),
    mediaType: z.string(),
  })
  .openapi('StoredMedia')

const uploadRoute = createRoute({
  method: 'post',
  path: MEDIA_UPLOAD_PATH,
  summary: 'Store a file; name it in a message as an attachment by the hash returned',
  description: `The body is the file's bytes, up to ${MAX_BLOB_BYTES} (64 MiB); Content-Type is its media type. Storing the same bytes again changes nothing.`,
  tags: ['messages'],
  security: bearer('send'),
  request: {
    body: {
      content: { '*/*': { schema: z.string().meta({ format: 'binary' }) } },
      required: true,
    },
  },
  responses: {
    201: { content: { 'application/json': { schema: storedSchema } }, description: 'Stored' },
    400: { content: errorBody, description: 'No usable Content-Type' },
    413: { content: errorBody, description: 'Larger than 64 MiB' },
    ...authErrors,
  },
})

const downloadRoute = createRoute({
  method: 'get',
  path: '/v1/media/{hash}',
  summary: 'The bytes of a stored file (an attachment), with its media type',
  tags: ['messages'],
  security: bearer('read'),
  request: {
    params: z.object({
      hash: z
        .string()
        .regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lower-case hex digits')
        .meta({ param: { name: 'hash', in: 'path' } }),
    }),
  },
  responses: {
    200: { content: { '*/*': { schema: z.string().meta({ format: 'binary' }) } }, description: 'The file' },
    404: { content: errorBody, description: 'No file with this hash is stored' },
    ...authErrors,
  },
})

/**
 * `POST /v1/media` (scope `send`): stores the request body in the blob store; `GET
 * /v1/media/{hash}` (scope `read`): gives it back. Files reach a network as attachments of a
 * message (`POST /v1/messages`, kind `media`, `attachments: [{ hash, name, mediaType, size }]`).
 * Files are served as downloads, never rendered on the API's origin.
 */
export function mediaRoutes(blobs: BlobRepo, send: MiddlewareHandler, read: MiddlewareHandler): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success)
        throw new BridgeError('INVALID_REQUEST', `invalid request: ${describeIssues(result.error.issues)}`, {
          status: 400,
          hint: 'fix the fields named above; /openapi.json has the schema',
        })
    },
  })
  const limit = bodyLimit({
    maxSize: MAX_BLOB_BYTES,
    onError: () => {
      throw new BridgeError('BODY_TOO_LARGE', `a file larger than ${MAX_BLOB_BYTES} bytes (64 MiB)`, {
        status: 413,
        hint: 'send a smaller file, or share a link to it instead',
      })
    },
  })
  app.openapi({ ...uploadRoute, middleware: [send, limit] as const }, async (c) => {
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? ''
    if (mediaType.length > 255 || !MEDIA_TYPE.test(mediaType))
      throw new BridgeError('INVALID_REQUEST', 'the Content-Type header is not a media type', {
        status: 400,
        hint: 'send the file with its media type, e.g. Content-Type: image/png (application/octet-stream when unknown)',
      })
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    const { hash, size } = await blobs.put(bytes, mediaType)
    return c.json({ hash, size, mediaType }, 201)
  })
  app.openapi({ ...downloadRoute, middleware: [read] as const }, async (c) => {
    const { hash } = c.req.valid('param')
    const blob = await blobs.get(hash)
    if (blob === undefined)
      throw new BridgeError('MEDIA_NOT_FOUND', `no file with hash ${hash} is stored`, {
        status: 404,
        hint: 'the file never reached this bridge, or an operator trimmed the blob store',
      })
    return c.body(blob.bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': blob.mediaType,
      'content-length': String(blob.bytes.length),
      'content-disposition': 'attachment',
      'content-security-policy': "sandbox; default-src 'none'",
      'x-content-type-options': 'nosniff',
      etag: `"${hash}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    })
  })
  return app
}
