import { checkScopes, checkText, isScope, newTokenId } from '../input.ts'
import type { ApiToken, TokenRepo } from '../port.ts'
import type { Row } from './connection.ts'
import { int, intOrNull, text } from './rows.ts'
import type { Run } from './run.ts'

const COLUMNS = 'id, name, scopes, created_at, revoked_at'

/**
 * The token repo on the `api_tokens` table; scopes are stored space-separated. Each method runs
 * through `run` (so it waits its turn and blocks on SQLite as `run` says).
 * @throws as `TokenRepo` documents: STORE_INVALID_ARGUMENT, STORE_DUPLICATE, plus STORE_BUSY.
 */
export function sqliteTokens(run: Run): TokenRepo {
  return {
    create: (input) =>
      run((conn) => {
        const name = checkText('token name', input.name)
        const tokenHash = checkText('tokenHash', input.tokenHash)
        const scopes = checkScopes(input.scopes)
        const token: ApiToken = { id: newTokenId(), name, scopes, createdAt: Date.now(), revokedAt: null }
        conn.run(
          'INSERT INTO api_tokens (id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
          token.id,
          name,
          tokenHash,
          scopes.join(' '),
          token.createdAt,
        )
        return token
      }),

    findByHash: (tokenHash) =>
      run((conn) => {
        const row = conn.get(
          `SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ?`,
          checkText('tokenHash', tokenHash),
        )
        return row === undefined ? undefined : toToken(row)
      }),

    list: () =>
      run((conn) => conn.all(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`).map(toToken)),

    revoke: (id) =>
      run((conn) => {
        const changes = conn.run(
          'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
          Date.now(),
          checkText('token id', id),
        )
        return changes > 0
      }),
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
