import { columnReaders } from '../columns.ts'
import { conflict } from '../errors.ts'
import {
  checkAnnounceTime,
  checkIdentityInput,
  checkIdentityLimit,
  type IdentityRepo,
  identityRowMapper,
} from '../identity-port.ts'
import { checkText } from '../input.ts'
import type { Run } from './db.ts'
import { int } from './rows.ts'

const toIdentity = identityRowMapper('postgres', columnReaders('postgres'))

const COLUMNS = 'peer_id, subject, public_key, sealed_seed, created_at, announced_at'
const INSERT = `INSERT INTO bridge_identities (peer_id, subject, public_key, sealed_seed, created_at, announced_at)
  VALUES ($1, $2, $3, $4, $5, 0)
  ON CONFLICT DO NOTHING
  RETURNING ${COLUMNS}`
const BY_SUBJECT = `SELECT ${COLUMNS} FROM bridge_identities WHERE subject = $1`
const BY_PEER = `SELECT ${COLUMNS} FROM bridge_identities WHERE peer_id = $1`
const LIST = `SELECT ${COLUMNS} FROM bridge_identities WHERE peer_id > $1 ORDER BY peer_id LIMIT $2`
const DUE = `SELECT ${COLUMNS} FROM bridge_identities WHERE announced_at < $1
  ORDER BY announced_at, peer_id LIMIT $2`

/** Bridge identities on the `bridge_identities` table; each method runs through `run`. */
export function pgIdentities(run: Run): IdentityRepo {
  return {
    create: (input) =>
      run(async (db) => {
        const i = checkIdentityInput(input)
        const [row] = await db.rows(INSERT, [i.peerId, i.subject, i.publicKey, i.sealedSeed, Date.now()])
        if (row !== undefined) return toIdentity(row)
        const [existing] = await db.rows(BY_SUBJECT, [i.subject])
        if (existing === undefined) throw conflict(`peer id ${i.peerId} is another subject's identity`)
        return toIdentity(existing)
      }),

    bySubject: (subject) =>
      run(async (db) => {
        const [row] = await db.rows(BY_SUBJECT, [checkText('identity subject', subject)])
        return row === undefined ? undefined : toIdentity(row)
      }),

    byPeerId: (peerId) =>
      run(async (db) => {
        const [row] = await db.rows(BY_PEER, [checkText('identity peerId', peerId)])
        return row === undefined ? undefined : toIdentity(row)
      }),

    list: (page) =>
      run(async (db) => {
        const after = page.after === undefined ? '' : checkText('identity page after', page.after)
        return (await db.rows(LIST, [after, checkIdentityLimit(page.limit)])).map(toIdentity)
      }),

    dueForAnnounce: (before, limit) =>
      run(async (db) =>
        (await db.rows(DUE, [checkAnnounceTime('before', before), checkIdentityLimit(limit)])).map(
          toIdentity,
        ),
      ),

    markAnnounced: (peerId, at) =>
      run(
        async (db) =>
          (await db.count('UPDATE bridge_identities SET announced_at = $1 WHERE peer_id = $2', [
            checkAnnounceTime('announcedAt', at),
            checkText('identity peerId', peerId),
          ])) > 0,
      ),

    count: async () =>
      run(async (db) => {
        const [row] = await db.rows('SELECT count(*)::bigint AS n FROM bridge_identities')
        return int(row ?? {}, 'n')
      }),
  }
}
