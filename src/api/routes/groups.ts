import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { BridgeError } from '../../core/errors.ts'
import { describeIssues } from '../../core/validate.ts'
import type { GroupInfo, GroupService } from '../../node/groups/service.ts'
import { authErrors, bearer, errorSchema } from '../schemas.ts'

/** What the routes need of the group service (a fake in tests). */
export type GroupsApi = Pick<GroupService, 'create' | 'list' | 'get' | 'addMember' | 'removeMember'>

const groupSchema = z
  .object({
    id: z.string().meta({ description: 'Group id: 32 random bytes, hex; known only to members' }),
    topic: z.string().meta({ description: 'Gossipsub topic: SHA-256 of the id, reveals nothing of it' }),
    epoch: z.number().int().meta({ description: 'MLS epoch: one more per membership change' }),
    role: z.enum(['orderer', 'member']).meta({ description: 'orderer: this node orders the commits' }),
    members: z.array(z.string()).meta({ description: 'Peer ids in leaf order; the first is the orderer' }),
  })
  .openapi('Group')
const changeSchema = z
  .object({
    id: z.string(),
    epoch: z.number().int().meta({ description: 'The new epoch; members get the commit asynchronously' }),
  })
  .openapi('GroupChange')
const idParam = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .meta({ description: 'Group id, 64 lower-case hex characters' }),
})
const memberParams = idParam.extend({ peer: z.string().min(1).max(128).meta({ description: 'Peer id' }) })
const addSchema = z
  .object({
    peerId: z
      .string()
      .min(1)
      .max(128)
      .meta({ example: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo' }),
  })
  .strict()
  .openapi('GroupMemberInput')
const errorBody = (description: string) => ({
  content: { 'application/json': { schema: errorSchema } },
  description,
})
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
})

const routes = {
  create: createRoute({
    method: 'post',
    path: '/v1/groups',
    summary: 'Create an MLS group ordered by this node (its only member at first)',
    tags: ['groups'],
    security: bearer('admin'),
    responses: { 201: json(groupSchema, 'Created'), ...authErrors },
  }),
  list: createRoute({
    method: 'get',
    path: '/v1/groups',
    summary: 'The groups this node is a member of',
    tags: ['groups'],
    security: bearer('read'),
    responses: { 200: json(z.object({ groups: z.array(groupSchema) }), 'Groups'), ...authErrors },
  }),
  add: createRoute({
    method: 'post',
    path: '/v1/groups/{id}/members',
    summary: 'Add a node (it must be online: it makes its own key package)',
    tags: ['groups'],
    security: bearer('admin'),
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: addSchema } }, required: true },
    },
    responses: {
      202: json(changeSchema, 'Committed; the commit and the welcome are on their way'),
      400: errorBody('Bad peer id or group id'),
      404: errorBody('No such group'),
      409: errorBody('This node does not order the group, or the peer is a member already'),
      503: errorBody('The peer could not be reached for its key package (retry)'),
      ...authErrors,
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/v1/groups/{id}/members/{peer}',
    summary: 'Remove a member: new epoch, the removed node cannot read later messages',
    tags: ['groups'],
    security: bearer('admin'),
    request: { params: memberParams },
    responses: {
      202: json(changeSchema, 'Committed; the commit is on its way to every member and the removed one'),
      400: errorBody('Bad peer id or group id, or removing this node'),
      404: errorBody('No such group, or the peer is not a member'),
      409: errorBody('This node does not order the group'),
      ...authErrors,
    },
  }),
}

function shown(group: GroupInfo): z.infer<typeof groupSchema> {
  return {
    id: group.groupId,
    topic: group.topic,
    epoch: group.epoch,
    role: group.role,
    members: group.members,
  }
}

/**
 * POST /v1/groups, GET /v1/groups, POST /v1/groups/{id}/members, DELETE
 * /v1/groups/{id}/members/{peer}. Changes need `admin`, reads `read`. Errors leave as the
 * app's `{"error": …}`: GROUP_UNKNOWN 404, GROUP_NOT_ORDERER 409, GROUP_BAD_PEER 400,
 * GROUP_NOT_MEMBER 404, GROUP_ALREADY_MEMBER 409, GROUP_PEER_UNREACHABLE 503.
 * @example app.route('/', groupRoutes(groupService, read, admin))
 */
export function groupRoutes(
  groups: GroupsApi,
  read: MiddlewareHandler,
  admin: MiddlewareHandler,
): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success)
        throw new BridgeError('INVALID_REQUEST', `invalid request: ${describeIssues(result.error.issues)}`, {
          status: 400,
          hint: 'fix the fields named above; /openapi.json has the schema',
        })
    },
  })
  app.openapi({ ...routes.create, middleware: [admin] as const }, async (c) => {
    const { groupId } = await groups.create()
    return c.json(shown(groups.get(groupId)), 201)
  })
  app.openapi({ ...routes.list, middleware: [read] as const }, (c) =>
    c.json({ groups: groups.list().map(shown) }, 200),
  )
  app.openapi({ ...routes.add, middleware: [admin] as const }, async (c) => {
    const { id } = c.req.valid('param')
    const { epoch } = await groups.addMember(id, c.req.valid('json').peerId)
    return c.json({ id, epoch }, 202)
  })
  app.openapi({ ...routes.remove, middleware: [admin] as const }, async (c) => {
    const { id, peer } = c.req.valid('param')
    const { epoch } = await groups.removeMember(id, peer)
    return c.json({ id, epoch }, 202)
  })
  return app
}
