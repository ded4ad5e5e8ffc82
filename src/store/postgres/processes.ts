import { checkPositive } from '../cluster-input.ts'
import type { ProcessRepo, ProcessRole } from '../cluster-port.ts'
import { invalidArgument } from '../errors.ts'
import { checkInstant, checkText } from '../input.ts'
import type { Run } from './db.ts'
import { toProcess } from './rows.ts'

const HEARTBEAT = `INSERT INTO processes (id, role, host, pid, version, started_at, last_seen)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, host = EXCLUDED.host, pid = EXCLUDED.pid,
    version = EXCLUDED.version, started_at = EXCLUDED.started_at, last_seen = EXCLUDED.last_seen`
const LIST = `SELECT id, role, host, pid, version, started_at, last_seen FROM processes
  WHERE last_seen >= $1 ORDER BY id`
const ROLES: readonly ProcessRole[] = ['all', 'worker', 'node']

/** The registry of bridge processes (heartbeats), one statement per call. @throws STORE_INVALID_ARGUMENT. */
export function pgProcesses(run: Run): ProcessRepo {
  return {
    heartbeat: (info) =>
      run(async (db) => {
        checkText('process id', info.id)
        if (!ROLES.includes(info.role))
          throw invalidArgument('process role', `expected all, worker or node, got ${String(info.role)}`)
        checkText('process host', info.host)
        checkText('process version', info.version)
        checkPositive('process pid', info.pid)
        const startedAt = checkInstant('process startedAt', info.startedAt)
        await db.count(HEARTBEAT, [
          info.id,
          info.role,
          info.host,
          info.pid,
          info.version,
          startedAt,
          Date.now(),
        ])
      }),
    list: (since) => run(async (db) => (await db.rows(LIST, [checkInstant('since', since)])).map(toProcess)),
    remove: (id) =>
      run(async (db) => {
        await db.count('DELETE FROM processes WHERE id = $1', [checkText('process id', id)])
      }),
  }
}
