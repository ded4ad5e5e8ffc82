import { checkText } from '../input.ts'
import {
  type CheckedEndpoint,
  type CheckedLink,
  checkLinkInput,
  checkLinkPatch,
  newLinkId,
} from '../relay-input.ts'
import type { Link, LinkRepo } from '../relay-port.ts'
import type { Db, Run } from './db.ts'
import { groupLinks, int, intOrNull, text, textOrNull, toCheckedEndpoint } from './rows.ts'

// One row per endpoint, its link's columns repeated; every link has at least one endpoint.
const COLUMNS = `l.id, l.name, l.allow_senders, l.rate_limit_per_minute, l.created_at, l.updated_at,
  e.network, e.address, e.direction, e.options`
const ORDER = 'ORDER BY l.created_at, l.ord, e.position'
const SELECT_ONE = `SELECT ${COLUMNS} FROM links l JOIN link_endpoints e ON e.link_id = l.id
  WHERE l.id = $1 ORDER BY e.position`
const SELECT_ALL = `SELECT ${COLUMNS} FROM links l JOIN link_endpoints e ON e.link_id = l.id ${ORDER}`
// m finds the links through the (network, address) index; e brings back all their endpoints.
const SELECT_BY_ENDPOINT = `SELECT ${COLUMNS} FROM link_endpoints m
  JOIN links l ON l.id = m.link_id
  JOIN link_endpoints e ON e.link_id = l.id
  WHERE m.network = $1 AND m.address = $2 ${ORDER}`
const INSERT_LINK = `INSERT INTO links (id, name, allow_senders, rate_limit_per_minute, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6)`
const UPDATE_LINK = `UPDATE links SET name = $1, allow_senders = $2, rate_limit_per_minute = $3, updated_at = $4
  WHERE id = $5`
// All endpoints in one statement: parallel arrays, position = ordinality - 1.
const INSERT_ENDPOINTS = `INSERT INTO link_endpoints (link_id, position, network, address, direction, options)
  SELECT $1, e.ord - 1, e.network, e.address, e.direction, e.options
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
    WITH ORDINALITY AS e (network, address, direction, options, ord)`

/**
 * The link repo on `links` and `link_endpoints` (one row per endpoint, options and the ACL's
 * sender list as JSON text, endpoints deleted with their link by the foreign key). Writes of
 * several statements run atomically (`Db.atomic`; update serializable, so two concurrent
 * updates never merge stale fields). Each method runs through `run`.
 * @throws STORE_INVALID_ARGUMENT (see `relay-input.ts`).
 */
export function pgLinks(run: Run): LinkRepo {
  return {
    create: (input) =>
      run(async (db) => {
        const link = checkLinkInput(input)
        const id = newLinkId()
        const now = Date.now()
        await db.atomic(async (tx) => {
          await tx.count(INSERT_LINK, [id, link.name, link.allowSenders, link.rateLimitPerMinute, now, now])
          await insertEndpoints(tx, id, link.endpoints)
        }, 'read committed')
        return toLink(id, link, now, now)
      }),

    get: (id) => run(async (db) => groupLinks(await db.rows(SELECT_ONE, [checkText('link id', id)]))[0]),

    list: () => run(async (db) => groupLinks(await db.rows(SELECT_ALL))),

    update: (id, input) =>
      run(async (db) => {
        checkText('link id', id)
        const patch = checkLinkPatch(input)
        return db.atomic(async (tx) => {
          const current = await tx.rows(SELECT_ONE, [id])
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
          await tx.count(UPDATE_LINK, [next.name, next.allowSenders, next.rateLimitPerMinute, updatedAt, id])
          if (patch.endpoints !== undefined) {
            await tx.count('DELETE FROM link_endpoints WHERE link_id = $1', [id])
            await insertEndpoints(tx, id, patch.endpoints)
          }
          return toLink(id, next, createdAt, updatedAt)
        })
      }),

    delete: (id) =>
      run(async (db) => (await db.count('DELETE FROM links WHERE id = $1', [checkText('link id', id)])) > 0),

    findByEndpoint: (network, address) =>
      run(async (db) =>
        groupLinks(
          await db.rows(SELECT_BY_ENDPOINT, [
            checkText('endpoint network', network),
            checkText('endpoint address', address),
          ]),
        ),
      ),
  }
}

async function insertEndpoints(db: Db, linkId: string, endpoints: readonly CheckedEndpoint[]): Promise<void> {
  await db.count(INSERT_ENDPOINTS, [
    linkId,
    endpoints.map((e) => e.network),
    endpoints.map((e) => e.address),
    endpoints.map((e) => e.direction),
    endpoints.map((e) => e.options),
  ])
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
