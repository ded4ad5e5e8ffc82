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
import type { Param } from './connection.ts'
import { int } from './rows.ts'
import type { Run } from './run.ts'

const toIdentity = identityRowMapper('sqlite', columnReaders('sqlite'))

const COLUMNS = 'peer_id, subject, public_key, sealed_seed, created_at, announced_at'
const INSERT = `INSERT INTO bridge_identities (peer_id, subject, public_key, sealed_seed, created_at, announced_at)
  VALUES (?, ?, ?, ?, ?, 0)
  ON CONFLICT DO NOTHING
  RETURNING ${COLUMNS}`
const BY_SUBJECT = `SELECT ${COLUMNS} FROM bridge_identities WHERE subject = ?`
const BY_PEER = `SELECT ${COLUMNS} FROM bridge_identities WHERE peer_id = ?`
const LIST = `SELECT ${COLUMNS} FROM bridge_identities WHERE peer_id > ? ORDER BY peer_id LIMIT ?`
const DUE = `SELECT ${COLUMNS} FROM bridge_identities WHERE announced_at < ?
  ORDER BY announced_at, peer_id LIMIT ?`

/** Bridge identities on the `bridge_identities` table; each method runs through `run`. */
export function sqliteIdentities(run: Run): IdentityRepo {
  return {
    create: (input) =>
      run((conn) => {
        const i = checkIdentityInput(input)
        // node:sqlite binds a Uint8Array as a BLOB
        const blob = (b: Uint8Array) => b as unknown as Param
        const [row] = conn.all(INSERT, i.peerId, i.subject, blob(i.publicKey), blob(i.sealedSeed), Date.now())
        if (row !== undefined) return toIdentity(row)
        const existing = conn.get(BY_SUBJECT, i.subject)
        if (existing === undefined) throw conflict(`peer id ${i.peerId} is another subject's identity`)
        return toIdentity(existing)
      }),

    bySubject: (subject) =>
      run((conn) => {
        const row = conn.get(BY_SUBJECT, checkText('identity subject', subject))
        return row === undefined ? undefined : toIdentity(row)
      }),

    byPeerId: (peerId) =>
      run((conn) => {
        const row = conn.get(BY_PEER, checkText('identity peerId', peerId))
        return row === undefined ? undefined : toIdentity(row)
      }),

    list: (page) =>
      run((conn) => {
        const after = page.after === undefined ? '' : checkText('identity page after', page.after)
        return conn.all(LIST, after, checkIdentityLimit(page.limit)).map(toIdentity)
      }),

    dueForAnnounce: (before, limit) =>
      run((conn) =>
        conn.all(DUE, checkAnnounceTime('before', before), checkIdentityLimit(limit)).map(toIdentity),
      ),

    markAnnounced: (peerId, at) =>
      run(
        (conn) =>
          conn.run(
            'UPDATE bridge_identities SET announced_at = ? WHERE peer_id = ?',
            checkAnnounceTime('announcedAt', at),
            checkText('identity peerId', peerId),
          ) > 0,
      ),

    count: () => run((conn) => int(conn.get('SELECT count(*) AS n FROM bridge_identities') ?? {}, 'n')),
  }
}
