import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createApi } from '../../../src/api/app.ts'
import { createMetrics } from '../../../src/api/metrics.ts'
import { generateToken, hashToken } from '../../../src/api/tokens.ts'
import { generateIdentity } from '../../../src/crypto/identity.ts'
import { createLogger } from '../../../src/log/logger.ts'
import type { Store } from '../../../src/store/port.ts'
import { openSqliteStore } from '../../../src/store/sqlite/index.ts'

const identity = generateIdentity()
const tokens = { admin: generateToken(), read: generateToken(), revoked: generateToken() }
let store: Store
let healthy = true
let app: ReturnType<typeof createApi>

beforeAll(async () => {
  store = await openSqliteStore({ path: ':memory:' })
  await store.migrate()
  await store.tokens.create({ name: 'admin', tokenHash: hashToken(tokens.admin), scopes: ['admin'] })
  await store.tokens.create({ name: 'reader', tokenHash: hashToken(tokens.read), scopes: ['read'] })
  const revoked = await store.tokens.create({
    name: 'old',
    tokenHash: hashToken(tokens.revoked),
    scopes: ['admin'],
  })
  await store.tokens.revoke(revoked.id)
  app = createApi({
    tokens: store.tokens,
    node: {
      peerId: identity.peerId,
      ed25519PublicKey: identity.publicKey,
      x25519PublicKey: identity.x25519PublicKey,
      listen: ['/ip4/127.0.0.1/tcp/4001'],
      version: '0.1.0-test',
    },
    metrics: createMetrics(),
    readiness: [
      { name: 'store', check: () => store.ping() },
      {
        name: 'flaky',
        check: async () => {
          if (!healthy) throw Object.assign(new Error('down'), { code: 'FLAKY_DOWN' })
        },
      },
    ],
    log: createLogger({ level: 'silent' }),
    maxBodyBytes: 2048,
  })
})
afterAll(() => store.close())

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('HTTP API', () => {
  test('/healthz answers without a token', async () => {
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  test('/readyz reports each check, and 503 naming the failing one', async () => {
    const ok = await app.request('/readyz')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ status: 'ready', checks: { store: { ok: true }, flaky: { ok: true } } })
    healthy = false
    const bad = await app.request('/readyz')
    healthy = true
    expect(bad.status).toBe(503)
    expect(await bad.json()).toMatchObject({
      status: 'not-ready',
      checks: { flaky: { ok: false, error: 'FLAKY_DOWN' } },
    })
  })

  test('GET /v1/node with a token gives the peer id and keys', async () => {
    const res = await app.request('/v1/node', bearer(tokens.read))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      peerId: identity.peerId,
      publicKeys: {
        ed25519: Buffer.from(identity.publicKey).toString('hex'),
        x25519: Buffer.from(identity.x25519PublicKey).toString('hex'),
      },
      listen: ['/ip4/127.0.0.1/tcp/4001'],
      addresses: [],
      version: '0.1.0-test',
    })
  })

  test('GET /v1/node/peers in a process without a node says so', async () => {
    const res = await app.request('/v1/node/peers', bearer(tokens.read))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ running: false, peers: [] })
  })

  test.each([
    ['no header', {}, 'missing bearer token'],
    ['an unknown token', bearer(generateToken()), 'invalid or revoked token'],
    ['a revoked token', bearer(tokens.revoked), 'invalid or revoked token'],
    ['a malformed header', { headers: { authorization: 'Basic abc' } }, 'missing bearer token'],
  ])('without a valid token (%s): 401 with a JSON error', async (_name, init, message) => {
    for (const path of ['/v1/node', '/metrics', '/openapi.json']) {
      const res = await app.request(path, init)
      expect(res.status).toBe(401)
      const body = (await res.json()) as { error: { code: string; message: string; hint: string } }
      expect(body.error.code).toBe('UNAUTHORIZED')
      expect(body.error.message).toBe(message)
      expect(body.error.hint.length).toBeGreaterThan(0)
    }
  })

  test('/metrics serves Prometheus text with request counts by route', async () => {
    await app.request('/v1/node', bearer(tokens.read))
    const res = await app.request('/metrics', bearer(tokens.read))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const text = await res.text()
    expect(text).toMatch(/mfb_http_requests_total\{method="GET",route="\/v1\/node",status="200"\} \d+/)
    expect(text).toContain('mfb_process_cpu_seconds_total')
  })

  test('/openapi.json documents every route with its security', async () => {
    const res = await app.request('/openapi.json', bearer(tokens.admin))
    expect(res.status).toBe(200)
    const doc = (await res.json()) as {
      openapi: string
      paths: Record<string, Record<string, { security?: unknown[] }>>
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/readyz',
      '/v1/node',
      '/v1/node/peers',
    ])
    expect(doc.paths['/v1/node']?.get?.security).toEqual([{ bearer: ['read'] }])
    expect(doc.paths['/healthz']?.get?.security).toBeUndefined()
    expect(doc.components.schemas).toHaveProperty('Error')
    expect(doc.components.schemas).toHaveProperty('Node')
    expect(doc.components.securitySchemes).toHaveProperty('bearer')
  })

  test('unknown routes are a JSON 404, even with a token', async () => {
    const res = await app.request('/v1/nope', bearer(tokens.admin))
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
  })

  test('oversize bodies are refused with 413 before any handler', async () => {
    const res = await app.request('/v1/node', {
      method: 'POST',
      body: 'x'.repeat(4096),
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'text/plain' },
    })
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE')
  })
})
