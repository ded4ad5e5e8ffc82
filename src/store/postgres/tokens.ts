import { checkScopes, checkText, isScope, newTokenId } from '../input.ts'
import type { ApiToken, TokenRepo } from '../port.ts'
import type { Row, Run } from './db.ts'
import { int, intOrNull, text } from './rows.ts'

const COLUMNS = 'id, name, scopes, created_at, revoked_at'
const INSERT = 'INSERT INTO api_tokens (id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)'
const BY_HASH = `SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1`
const LIST = `SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`
const REVOKE = 'UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL'

/**
 * The token repo on the `api_tokens` table; scopes are stored space-separated. Each method is
 * one statement, run through `run`.
 * @throws as `TokenRepo` documents: STORE_INVALID_ARGUMENT, STORE_DUPLICATE; plus
 *   STORE_UNAVAILABLE, STORE_BUSY.
 */
export function pgTokens(run: Run): TokenRepo {
  return {
    create: (input) =>
      run(async (db) => {
        const name = checkText('token name', input.name)
        const tokenHash = checkText('tokenHash', input.tokenHash)
        const scopes = checkScopes(input.scopes)
        const token: ApiToken = { id: newTokenId(), name, scopes, createdAt: Date.now(), revokedAt: null }
        await db.count(INSERT, [token.id, name, tokenHash, scopes.join(' '), token.createdAt])
        return token
      }),

    findByHash: (tokenHash) =>
      run(async (db) => {
        const [row] = await db.rows(BY_HASH, [checkText('tokenHash', tokenHash)])
        return row === undefined ? undefined : toToken(row)
      }),

    list: () => run(async (db) => (await db.rows(LIST)).map(toToken)),

    revoke: (id) => run(async (db) => (await db.count(REVOKE, [Date.now(), checkText('token id', id)])) > 0),
  }
}

function toToken(row: Row): ApiToken {
  return {
    id: text(row, 'id'),
    name: text(row, 'name'),
    scopes: text(row, 'scopes').split(' ').filter(isScope),
    createdAt: int(row, 'created_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  }
}
