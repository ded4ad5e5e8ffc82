import { columnReaders } from '../columns.ts'
import { conflict } from '../errors.ts'
import { checkGroupId, checkGroupSave, type GroupRepo, nodeRowMappers } from '../node-port.ts'
import type { Param, SqliteConnection } from './connection.ts'
import { int } from './rows.ts'
import type { Run } from './run.ts'

const { toGroup } = nodeRowMappers('sqlite', columnReaders('sqlite'))

const COLUMNS = 'group_id, topic, state, epoch, role, updated_at'
const SELECT = `SELECT ${COLUMNS} FROM mls_groups WHERE group_id = ?`
const LIST = `SELECT ${COLUMNS} FROM mls_groups ORDER BY group_id`
const CREATE = `INSERT INTO mls_groups (group_id, topic, state, epoch, role, updated_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (group_id) DO NOTHING
  RETURNING ${COLUMNS}`
const UPDATE_IF_EPOCH = `UPDATE mls_groups SET topic = ?, state = ?, epoch = ?, role = ?, updated_at = ?
  WHERE group_id = ? AND epoch = ?
  RETURNING ${COLUMNS}`

/**
 * MLS group states on the `mls_groups` table. `save` is one statement, atomic by itself (a
 * compare-and-set on the epoch), so it holds across processes. Each method runs through `run`.
 * @throws STORE_CONFLICT (retryable) on an epoch mismatch; STORE_INVALID_ARGUMENT; STORE_BUSY.
 */
export function sqliteGroups(run: Run): GroupRepo {
  return {
    get: (groupId) =>
      run((conn) => {
        const row = conn.get(SELECT, checkGroupId(groupId))
        return row === undefined ? undefined : toGroup(row)
      }),

    list: () => run((conn) => conn.all(LIST).map(toGroup)),

    save: (input) =>
      run((conn) => {
        const g = checkGroupSave(input)
        const state = g.state as unknown as Param // node:sqlite binds a Uint8Array as a BLOB
        const now = Date.now()
        const [row] =
          g.expectedEpoch === null
            ? conn.all(CREATE, g.groupId, g.topic, state, g.epoch, g.role, now)
            : conn.all(UPDATE_IF_EPOCH, g.topic, state, g.epoch, g.role, now, g.groupId, g.expectedEpoch)
        if (row === undefined) throw epochConflict(conn, g.groupId, g.expectedEpoch)
        return toGroup(row)
      }),

    delete: (groupId) =>
      run((conn) => conn.run('DELETE FROM mls_groups WHERE group_id = ?', checkGroupId(groupId)) > 0),
  }
}

function epochConflict(conn: SqliteConnection, groupId: string, expected: number | null): Error {
  const current = conn.get('SELECT epoch FROM mls_groups WHERE group_id = ?', groupId)
  const found = current === undefined ? 'does not exist' : `is at epoch ${int(current, 'epoch')}`
  const wanted = expected === null ? 'expected it absent' : `expected epoch ${expected}`
  return conflict(`group ${groupId.slice(0, 64)} ${found}, ${wanted}`)
}
