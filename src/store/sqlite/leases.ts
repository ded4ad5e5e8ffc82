import { checkLeaseKey, checkPositive } from '../cluster-input.ts'
import type { LeaseRepo } from '../cluster-port.ts'
import { fenced } from '../errors.ts'
import { toLease } from './rows.ts'
import type { Run } from './run.ts'

// One statement decides: take a free/expired lease (token + 1), extend our own (same token),
// or change nothing while another holder's lease is live (no row returned).
const ACQUIRE = `INSERT INTO leases (name, holder, token, acquired_at, expires_at) VALUES (?, ?, 1, ?, ?)
  ON CONFLICT (name) DO UPDATE SET
    token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
                 THEN leases.token ELSE leases.token + 1 END,
    acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
                 THEN leases.acquired_at ELSE excluded.acquired_at END,
    holder = excluded.holder,
    expires_at = excluded.expires_at
  WHERE leases.expires_at <= excluded.acquired_at OR leases.holder = excluded.holder
  RETURNING name, holder, token, acquired_at, expires_at`
const RENEW =
  'UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ? AND expires_at > ?'
const RELEASE =
  'UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ? AND expires_at > ?'
const CHECK = 'SELECT 1 AS ok FROM leases WHERE name = ? AND token = ? AND expires_at > ?'
const LIST = 'SELECT name, holder, token, acquired_at, expires_at FROM leases ORDER BY name'

/**
 * Leases on the `leases` table. Every decision is one statement, so two processes racing for a
 * lease never both win. Times are the bridge's clock: keep the machines' clocks in sync
 * (NTP); a skew eats into the TTL. @throws STORE_INVALID_ARGUMENT; STORE_FENCED (check).
 */
export function sqliteLeases(run: Run): LeaseRepo {
  return {
    acquire: (name, holder, ttlMs) =>
      run((conn) => {
        checkLeaseKey(name, holder)
        checkPositive('lease ttlMs', ttlMs)
        const now = Date.now()
        const row = conn.all(ACQUIRE, name, holder, now, now + ttlMs)[0]
        return row ? toLease(row) : undefined
      }),
    renew: (name, holder, token, ttlMs) =>
      run((conn) => {
        checkLeaseKey(name, holder)
        checkPositive('lease token', token)
        checkPositive('lease ttlMs', ttlMs)
        const now = Date.now()
        return conn.run(RENEW, now + ttlMs, name, holder, token, now) > 0
      }),
    release: (name, holder, token) =>
      run((conn) => {
        checkLeaseKey(name, holder)
        checkPositive('lease token', token)
        const now = Date.now()
        return conn.run(RELEASE, now, name, holder, token, now) > 0
      }),
    check: (name, token) =>
      run((conn) => {
        checkLeaseKey(name)
        checkPositive('lease token', token)
        if (!conn.get(CHECK, name, token, Date.now())) throw fenced(name, token)
      }),
    list: () => run((conn) => conn.all(LIST).map(toLease)),
  }
}
