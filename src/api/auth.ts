import type { MiddlewareHandler } from 'hono'
import { BridgeError } from '../core/errors.ts'
import type { ApiToken, Scope, TokenRepo } from '../store/port.ts'
import { hashToken } from './tokens.ts'

/** What a request that passed authentication carries in its context. */
export interface AuthVariables {
  token: ApiToken
}

/** `admin` implies every scope, `send` implies `read`. */
const IMPLIES: Record<Scope, readonly Scope[]> = {
  read: ['read'],
  send: ['send', 'read'],
  admin: ['admin', 'send', 'read'],
}

export function grants(scopes: readonly Scope[], wanted: Scope): boolean {
  return scopes.some((scope) => IMPLIES[scope].includes(wanted))
}

/**
 * Bearer-token authentication with a required scope. The token is looked up by its SHA-256,
 * so the comparison is of digests and leaks no timing about the token itself.
 * Answers 401 when the token is missing, unknown or revoked, 403 when its scopes fall short.
 */
export function requireScope(
  tokens: TokenRepo,
  scope: Scope,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function authenticate(c, next) {
    const header = c.req.header('authorization')
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    if (!match)
      throw new BridgeError('UNAUTHORIZED', 'missing bearer token', {
        status: 401,
        hint: 'send "Authorization: Bearer <token>"; the admin token is in <data_dir>/admin.token',
      })
    const token = await tokens.findByHash(hashToken(match[1] as string))
    if (!token || token.revokedAt !== null)
      throw new BridgeError('UNAUTHORIZED', 'invalid or revoked token', {
        status: 401,
        hint: 'check the token, or create a new one with an admin token',
      })
    if (!grants(token.scopes, scope))
      throw new BridgeError('FORBIDDEN', `this token lacks the "${scope}" scope`, {
        status: 403,
        hint: `use a token with the "${scope}" scope (held: ${token.scopes.join(', ') || 'none'})`,
      })
    c.set('token', token)
    await next()
  }
}
