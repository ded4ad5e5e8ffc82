import { columnReaders } from '../columns.ts'
import { conflict } from '../errors.ts'
import { checkGroupId, checkGroupSave, type GroupRepo, nodeRowMappers } from '../node-port.ts'
import type { Db, Row, Run } from './db.ts'
import { int } from './rows.ts'

const { toGroup } = nodeRowMappers('postgres', columnReaders('postgres'))

const COLUMNS = 'group_id, topic, state, epoch, role, updated_at'
const SELECT = `SELECT ${COLUMNS} FROM mls_groups WHERE group_id = $1`
const LIST = `SELECT ${COLUMNS} FROM mls_groups ORDER BY group_id`
const CREATE = `INSERT INTO mls_groups (group_id, topic, state, epoch, role, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (group_id) DO NOTHING
  RETURNING ${COLUMNS}`
const UPDATE_IF_EPOCH = `UPDATE mls_groups SET topic = $1, state = $2, epoch = $3, role = $4, updated_at = $5
  WHERE group_id = $6 AND epoch = $7
  RETURNING ${COLUMNS}`

/**
 * MLS group states on the `mls_groups` table. `save` is one statement, atomic by itself (a
 * concurrent writer's row is locked and the epoch re-checked on its latest version), so the
 * compare-and-set holds across processes. Each method runs through `run`.
 * @throws STORE_CONFLICT (retryable) on an epoch mismatch; STORE_INVALID_ARGUMENT.
 */
export function pgGroups(run: Run): GroupRepo {
  return {
    get: (groupId) =>
      run(async (db) => {
        const [row] = await db.rows(SELECT, [checkGroupId(groupId)])
        return row === undefined ? undefined : toGroup(row)
      }),

    list: () => run(async (db) => (await db.rows(LIST)).map(toGroup)),

    save: (input) =>
      run(async (db) => {
        const g = checkGroupSave(input)
        const now = Date.now()
        let rows: Row[]
        if (g.expectedEpoch === null)
          rows = await db.rows(CREATE, [g.groupId, g.topic, g.state, g.epoch, g.role, now])
        else
          rows = await db.rows(UPDATE_IF_EPOCH, [
            g.topic,
            g.state,
            g.epoch,
            g.role,
            now,
            g.groupId,
            g.expectedEpoch,
          ])
        const [row] = rows
        if (row === undefined) throw await epochConflict(db, g.groupId, g.expectedEpoch)
        return toGroup(row)
      }),

    delete: (groupId) =>
      run(
        async (db) =>
          (await db.count('DELETE FROM mls_groups WHERE group_id = $1', [checkGroupId(groupId)])) > 0,
      ),
  }
}

async function epochConflict(db: Db, groupId: string, expected: number | null): Promise<Error> {
  const [current] = await db.rows('SELECT epoch FROM mls_groups WHERE group_id = $1', [groupId])
  const found = current === undefined ? 'does not exist' : `is at epoch ${int(current, 'epoch')}`
  const wanted = expected === null ? 'expected it absent' : `expected epoch ${expected}`
  return conflict(`group ${groupId.slice(0, 64)} ${found}, ${wanted}`)
}
