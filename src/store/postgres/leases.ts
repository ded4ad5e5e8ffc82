import { checkLeaseKey, checkPositive } from '../cluster-input.ts'
import type { LeaseRepo } from '../cluster-port.ts'
import { fenced } from '../errors.ts'
import type { Run } from './db.ts'
import { toLease } from './rows.ts'

// One statement decides: take a free/expired lease (token + 1), extend our own (same token),
// or change nothing while another holder's lease is live (no row returned). A concurrent
// acquirer's row is locked and the WHERE re-checked on its latest version.
const ACQUIRE = `INSERT INTO leases (name, holder, token, acquired_at, expires_at) VALUES ($1, $2, 1, $3, $4)
  ON CONFLICT (name) DO UPDATE SET
    token = CASE WHEN leases.holder = EXCLUDED.holder AND leases.expires_at > EXCLUDED.acquired_at
                 THEN leases.token ELSE leases.token + 1 END,
    acquired_at = CASE WHEN leases.holder = EXCLUDED.holder AND leases.expires_at > EXCLUDED.acquired_at
                 THEN leases.acquired_at ELSE EXCLUDED.acquired_at END,
    holder = EXCLUDED.holder,
    expires_at = EXCLUDED.expires_at
  WHERE leases.expires_at <= EXCLUDED.acquired_at OR leases.holder = EXCLUDED.holder
  RETURNING name, holder, token, acquired_at, expires_at`
const RENEW =
  'UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3 AND token = $4 AND expires_at > $5'
const RELEASE =
  'UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3 AND token = $4 AND expires_at > $5'
const CHECK = 'SELECT 1 AS ok FROM leases WHERE name = $1 AND token = $2 AND expires_at > $3'
const LIST = 'SELECT name, holder, token, acquired_at, expires_at FROM leases ORDER BY name'

/**
 * Leases on the `leases` table, the same statements as the SQLite driver's. Every decision is
 * one statement, so two processes racing for a lease never both win. Times are the bridge's
 * clock (Date.now()), not the server's: keep the machines' clocks in sync (NTP).
 * @throws STORE_INVALID_ARGUMENT; STORE_FENCED (check).
 */
export function pgLeases(run: Run): LeaseRepo {
  return {
    acquire: (name, holder, ttlMs) =>
      run(async (db) => {
        checkLeaseKey(name, holder)
        checkPositive('lease ttlMs', ttlMs)
        const now = Date.now()
        const [row] = await db.rows(ACQUIRE, [name, holder, now, now + ttlMs])
        return row ? toLease(row) : undefined
      }),
    renew: (name, holder, token, ttlMs) =>
      run(async (db) => {
        checkLeaseKey(name, holder)
        checkPositive('lease token', token)
        checkPositive('lease ttlMs', ttlMs)
        const now = Date.now()
        return (await db.count(RENEW, [now + ttlMs, name, holder, token, now])) > 0
      }),
    release: (name, holder, token) =>
      run(async (db) => {
        checkLeaseKey(name, holder)
        checkPositive('lease token', token)
        const now = Date.now()
        return (await db.count(RELEASE, [now, name, holder, token, now])) > 0
      }),
    check: (name, token) =>
      run(async (db) => {
        checkLeaseKey(name)
        checkPositive('lease token', token)
        const rows = await db.rows(CHECK, [name, token, Date.now()])
        if (rows.length === 0) throw fenced(name, token)
      }),
    list: () => run(async (db) => (await db.rows(LIST)).map(toLease)),
  }
}
