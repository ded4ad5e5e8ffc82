import { checkText } from '../input.ts'
import {
  type CheckedEndpoint,
  type CheckedLink,
  checkLinkInput,
  checkLinkPatch,
  newLinkId,
} from '../relay-input.ts'
import type { Link, LinkRepo } from '../relay-port.ts'
import type { SqliteConnection } from './connection.ts'
import { groupLinks, int, intOrNull, text, textOrNull, toCheckedEndpoint } from './rows.ts'
import type { Run } from './run.ts'

// One row per endpoint, its link's columns repeated; every link has at least one endpoint.
const COLUMNS = `l.id, l.name, l.allow_senders, l.rate_limit_per_minute, l.created_at, l.updated_at,
  e.network, e.address, e.direction, e.options`
const ORDER = 'ORDER BY l.created_at, l.ord, e.position'
const SELECT_ONE = `SELECT ${COLUMNS} FROM links l JOIN link_endpoints e ON e.link_id = l.id
  WHERE l.id = ? ORDER BY e.position`
const SELECT_ALL = `SELECT ${COLUMNS} FROM links l JOIN link_endpoints e ON e.link_id = l.id ${ORDER}`
// m finds the links through the (network, address) index; e brings back all their endpoints.
/** Exported for the query-plan test. */
export const SELECT_BY_ENDPOINT = `SELECT ${COLUMNS} FROM link_endpoints m
  JOIN links l ON l.id = m.link_id
  JOIN link_endpoints e ON e.link_id = l.id
  WHERE m.network = ? AND m.address = ? ${ORDER}`
const INSERT_LINK = `INSERT INTO links (id, name, allow_senders, rate_limit_per_minute, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?)`
const UPDATE_LINK = `UPDATE links SET name = ?, allow_senders = ?, rate_limit_per_minute = ?, updated_at = ?
  WHERE id = ?`
const INSERT_ENDPOINT = `INSERT INTO link_endpoints (link_id, position, network, address, direction, options)
  VALUES (?, ?, ?, ?, ?, ?)`

/**
 * The link repo on `links` and `link_endpoints` (one row per endpoint, options and the ACL's
 * sender list as JSON text, endpoints deleted with their link by the foreign key). Writes of
 * several statements run atomically (`SqliteConnection.atomic`). Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT (see `relay-input.ts`); STORE_BUSY.
 */
export function sqliteLinks(run: Run): LinkRepo {
  return {
    create: (input) =>
      run((conn) => {
        const link = checkLinkInput(input)
        const id = newLinkId()
        const now = Date.now()
        conn.atomic(() => {
          conn.run(INSERT_LINK, id, link.name, link.allowSenders, link.rateLimitPerMinute, now, now)
          insertEndpoints(conn, id, link.endpoints)
        })
        return toLink(id, link, now, now)
      }),

    get: (id) => run((conn) => groupLinks(conn.all(SELECT_ONE, checkText('link id', id)))[0]),

    list: () => run((conn) => groupLinks(conn.all(SELECT_ALL))),

    update: (id, input) =>
      run((conn) => {
        checkText('link id', id)
        const patch = checkLinkPatch(input)
        return conn.atomic(() => {
          const current = conn.all(SELECT_ONE, id)
          const row = current[0]
          if (row === undefined) return undefined
          const next: CheckedLink = {
            name: patch.name ?? text(row, 'name'),
            endpoints: patch.endpoints ?? current.map(toCheckedEndpoint),
            allowSenders:
              patch.allowSenders !== undefined ? patch.allowSenders : textOrNull(row, 'allow_senders'),
            rateLimitPerMinute:
              patch.rateLimitPerMinute !== undefined
                ? patch.rateLimitPerMinute
                : intOrNull(row, 'rate_limit_per_minute'),
          }
          const createdAt = int(row, 'created_at')
          const updatedAt = Math.max(Date.now(), createdAt)
          conn.run(UPDATE_LINK, next.name, next.allowSenders, next.rateLimitPerMinute, updatedAt, id)
          if (patch.endpoints !== undefined) {
            conn.run('DELETE FROM link_endpoints WHERE link_id = ?', id)
            insertEndpoints(conn, id, patch.endpoints)
          }
          return toLink(id, next, createdAt, updatedAt)
        })
      }),

    delete: (id) => run((conn) => conn.run('DELETE FROM links WHERE id = ?', checkText('link id', id)) > 0),

    findByEndpoint: (network, address) =>
      run((conn) =>
        groupLinks(
          conn.all(
            SELECT_BY_ENDPOINT,
            checkText('endpoint network', network),
            checkText('endpoint address', address),
          ),
        ),
      ),
  }
}

function insertEndpoints(
  conn: SqliteConnection,
  linkId: string,
  endpoints: readonly CheckedEndpoint[],
): void {
  endpoints.forEach((e, position) => {
    conn.run(INSERT_ENDPOINT, linkId, position, e.network, e.address, e.direction, e.options)
  })
}

function toLink(id: string, link: CheckedLink, createdAt: number, updatedAt: number): Link {
  return {
    id,
    name: link.name,
    endpoints: link.endpoints.map((e) => ({
      network: e.network,
      address: e.address,
      direction: e.direction,
      options: JSON.parse(e.options) as Record<string, unknown>,
    })),
    acl: { allowSenders: link.allowSenders === null ? null : (JSON.parse(link.allowSenders) as string[]) },
    rateLimitPerMinute: link.rateLimitPerMinute,
    createdAt,
    updatedAt,
  }
}
