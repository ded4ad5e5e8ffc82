import { checkPositive } from '../cluster-input.ts'
import type { ProcessRepo, ProcessRole } from '../cluster-port.ts'
import { invalidArgument } from '../errors.ts'
import { checkInstant, checkText } from '../input.ts'
import { toProcess } from './rows.ts'
import type { Run } from './run.ts'

const HEARTBEAT = `INSERT INTO processes (id, role, host, pid, version, started_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET role = excluded.role, host = excluded.host, pid = excluded.pid,
    version = excluded.version, started_at = excluded.started_at, last_seen = excluded.last_seen`
const LIST =
  'SELECT id, role, host, pid, version, started_at, last_seen FROM processes WHERE last_seen >= ? ORDER BY id'
const ROLES: readonly ProcessRole[] = ['all', 'worker', 'node']

/** The registry of bridge processes (heartbeats). @throws STORE_INVALID_ARGUMENT. */
export function sqliteProcesses(run: Run): ProcessRepo {
  return {
    heartbeat: (info) =>
      run((conn) => {
        checkText('process id', info.id)
        if (!ROLES.includes(info.role))
          throw invalidArgument('process role', `expected all, worker or node, got ${String(info.role)}`)
        checkText('process host', info.host)
        checkText('process version', info.version)
        checkPositive('process pid', info.pid)
        checkInstant('process startedAt', info.startedAt)
        conn.run(HEARTBEAT, info.id, info.role, info.host, info.pid, info.version, info.startedAt, Date.now())
      }),
    list: (since) => run((conn) => conn.all(LIST, checkInstant('since', since)).map(toProcess)),
    remove: (id) =>
      run((conn) => {
        conn.run('DELETE FROM processes WHERE id = ?', checkText('process id', id))
      }),
  }
}
