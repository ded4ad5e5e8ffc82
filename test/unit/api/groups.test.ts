import { OpenAPIHono } from '@hono/zod-openapi'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { requireScope } from '../../../src/api/auth.ts'
import { errorResponse } from '../../../src/api/errors.ts'
import { type GroupsApi, groupRoutes } from '../../../src/api/routes/groups.ts'
import { generateToken, hashToken } from '../../../src/api/tokens.ts'
import { BridgeError } from '../../../src/core/errors.ts'
import { generateIdentity } from '../../../src/crypto/identity.ts'
import { createLogger } from '../../../src/log/logger.ts'
import type { GroupInfo } from '../../../src/node/groups/service.ts'
import { memberKey, notOrderer, unknownGroup } from '../../../src/node/groups/service-errors.ts'
import type { Store } from '../../../src/store/port.ts'
import { openSqliteStore } from '../../../src/store/sqlite/index.ts'

const self = generateIdentity().peerId
const other = generateIdentity().peerId
const foreign = '77'.repeat(32)

/** A fake GroupService: groups in a map, the real service's errors for the same conditions. */
class FakeGroupService implements GroupsApi {
  readonly groups = new Map<string, GroupInfo>()
  #next = 1

  async create(): Promise<{ groupId: string; topic: string }> {
    const groupId = String(this.#next++).padStart(64, '0')
    this.groups.set(groupId, { groupId, topic: 'f'.repeat(64), epoch: 0, role: 'orderer', members: [self] })
    return { groupId, topic: 'f'.repeat(64) }
  }
  list(): GroupInfo[] {
    return [...this.groups.values()]
  }
  get(groupId: string): GroupInfo {
    const group = this.groups.get(groupId)
    if (!group) throw unknownGroup(groupId)
    return group
  }
  async addMember(groupId: string, peerId: string): Promise<{ epoch: number }> {
    const group = this.#ordered(groupId)
    memberKey(peerId)
    if (group.members.includes(peerId))
      throw new BridgeError('GROUP_ALREADY_MEMBER', 'already a member', { status: 409 })
    this.groups.set(groupId, { ...group, epoch: group.epoch + 1, members: [...group.members, peerId] })
    return { epoch: group.epoch + 1 }
  }
  async removeMember(groupId: string, peerId: string): Promise<{ epoch: number }> {
    const group = this.#ordered(groupId)
    memberKey(peerId)
    if (!group.members.includes(peerId))
      throw new BridgeError('GROUP_NOT_MEMBER', 'not a member', { status: 404 })
    this.groups.set(groupId, {
      ...group,
      epoch: group.epoch + 1,
      members: group.members.filter((m) => m !== peerId),
    })
    return { epoch: group.epoch + 1 }
  }
  #ordered(groupId: string): GroupInfo {
    const group = this.get(groupId)
    if (group.role !== 'orderer') throw notOrderer(groupId)
    return group
  }
}

const tokens = { admin: generateToken(), read: generateToken() }
const fake = new FakeGroupService()
let store: Store
let app: OpenAPIHono

beforeAll(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  await store.tokens.create({ name: 'admin', tokenHash: hashToken(tokens.admin), scopes: ['admin'] })
  await store.tokens.create({ name: 'reader', tokenHash: hashToken(tokens.read), scopes: ['read'] })
  app = new OpenAPIHono()
  const log = createLogger({ level: 'silent' })
  app.onError((err, c) => errorResponse(c, err, log))
  app.route('/', groupRoutes(fake, requireScope(store.tokens, 'read'), requireScope(store.tokens, 'admin')))
})
afterAll(() => store.close())

const call = (method: string, path: string, token: string, body?: unknown) =>
  app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })

describe('group routes', () => {
  let id: string

  test('POST /v1/groups creates a group (admin only)', async () => {
    expect((await call('POST', '/v1/groups', tokens.read)).status).toBe(403)
    expect((await app.request('/v1/groups', { method: 'POST' })).status).toBe(401)
    const res = await call('POST', '/v1/groups', tokens.admin)
    expect(res.status).toBe(201)
    const body = (await res.json()) as { id: string }
    id = body.id
    expect(body).toEqual({ id, topic: 'f'.repeat(64), epoch: 0, role: 'orderer', members: [self] })
  })

  test('members are added and removed with the new epoch; GET lists them', async () => {
    const added = await call('POST', `/v1/groups/${id}/members`, tokens.admin, { peerId: other })
    expect(added.status).toBe(202)
    expect(await added.json()).toEqual({ id, epoch: 1 })
    const listed = await call('GET', '/v1/groups', tokens.read)
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as { groups: GroupInfo[] }).groups[0]?.members).toEqual([self, other])
    const removed = await call('DELETE', `/v1/groups/${id}/members/${other}`, tokens.admin)
    expect(removed.status).toBe(202)
    expect(await removed.json()).toEqual({ id, epoch: 2 })
  })

  test('clear 4xx errors: unknown group 404, not the orderer 409, bad peer or id 400', async () => {
    const unknown = await call('POST', `/v1/groups/${foreign}/members`, tokens.admin, { peerId: other })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('GROUP_UNKNOWN')

    fake.groups.set(foreign, {
      groupId: foreign,
      topic: 'e'.repeat(64),
      epoch: 3,
      role: 'member',
      members: [other, self],
    })
    const notOrderer = await call('DELETE', `/v1/groups/${foreign}/members/${other}`, tokens.admin)
    expect(notOrderer.status).toBe(409)
    expect(((await notOrderer.json()) as { error: { code: string } }).error.code).toBe('GROUP_NOT_ORDERER')

    const badPeer = await call('POST', `/v1/groups/${id}/members`, tokens.admin, { peerId: 'not-a-peer' })
    expect(badPeer.status).toBe(400)
    expect(((await badPeer.json()) as { error: { code: string } }).error.code).toBe('GROUP_BAD_PEER')

    const badId = await call('POST', '/v1/groups/XYZ/members', tokens.admin, { peerId: other })
    expect(badId.status).toBe(400)
    expect(((await badId.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST')

    const noBody = await call('POST', `/v1/groups/${id}/members`, tokens.admin, { peer: other })
    expect(noBody.status).toBe(400)

    const notMember = await call('DELETE', `/v1/groups/${id}/members/${other}`, tokens.admin)
    expect(notMember.status).toBe(404)
    expect((await call('POST', `/v1/groups/${id}/members`, tokens.read, { peerId: other })).status).toBe(403)
  })
})
