import { describe, expect, test } from 'vitest'
import { DELETE_BEFORE as BLOBS_DELETE_BEFORE, HAS } from '../../../../src/store/sqlite/blobs.ts'
import { openConnection } from '../../../../src/store/sqlite/connection.ts'
import { CREATE, PENDING_BEFORE } from '../../../../src/store/sqlite/deliveries.ts'
import { ACK, DELETE_EXPIRED, LIST_FOR, USAGE } from '../../../../src/store/sqlite/held.ts'
import { SELECT_BY_ENDPOINT } from '../../../../src/store/sqlite/links.ts'
import { LIST_INGESTED } from '../../../../src/store/sqlite/messages.ts'
import { applyMigrations } from '../../../../src/store/sqlite/migrate.ts'
import { MIGRATIONS } from '../../../../src/store/sqlite/migrations.ts'
import { DELETE_BEFORE, MESSAGES_OF, NATIVES_OF } from '../../../../src/store/sqlite/natives.ts'
import { SELECT_BY_MESSAGE } from '../../../../src/store/sqlite/traces.ts'

/** The plan SQLite picks for `sql`, one step per line. */
function plan(sql: string): string {
  const conn = openConnection(':memory:')
  try {
    applyMigrations(conn, MIGRATIONS)
    const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null)
    return conn
      .all(`EXPLAIN QUERY PLAN ${sql}`, ...params)
      .map((row) => String(row.detail))
      .join('\n')
  } finally {
    conn.close()
  }
}

describe('sqlite relay queries use their indexes', () => {
  test.each([
    [
      'findByEndpoint',
      SELECT_BY_ENDPOINT,
      'USING COVERING INDEX link_endpoints_endpoint (network=? AND address=?)',
    ],
    ['listIngested', LIST_INGESTED, 'USING INDEX messages_ingested (received_at<?)'],
    ['createMany', CREATE, 'USING COVERING INDEX deliveries_order (target_key=? AND conversation_key=?)'],
    [
      'hasPendingBefore',
      PENDING_BEFORE,
      'USING COVERING INDEX deliveries_pending (target_key=? AND conversation_key=? AND seq<?)',
    ],
    ['traces.listByMessage', SELECT_BY_MESSAGE, 'USING INDEX traces_message (message_id=?)'],
  ])('%s', (_name, sql, expected) => {
    const steps = plan(sql)
    expect(steps).toContain(expected)
    expect(steps).not.toMatch(/\bSCAN (links|link_endpoints|messages|deliveries|traces)\b/)
  })
})

describe('sqlite node queries use their indexes', () => {
  test.each([
    // rowid > ? on the index (recipient, rowid): pages in insertion order without a sort.
    ['held.listFor', LIST_FOR, 'USING INDEX held_packets_recipient (recipient=? AND rowid>?)'],
    [
      'held.put usage',
      USAGE,
      'USING COVERING INDEX held_packets_quota (recipient=? AND sender=? AND expires_at>?)',
    ],
    ['held.ack', ACK, 'USING COVERING INDEX held_packets_id (recipient=? AND id=?)'],
    ['held.deleteExpired', DELETE_EXPIRED, 'USING INDEX held_packets_expires_at (expires_at<?)'],
  ])('%s', (_name, sql, expected) => {
    const steps = plan(sql)
    expect(steps).toContain(expected)
    expect(steps).not.toMatch(/\bSCAN held_packets\b|TEMP B-TREE/)
  })
})

describe('sqlite native id queries use their indexes', () => {
  test.each([
    ['natives.messagesOf', MESSAGES_OF, 'USING PRIMARY KEY (network=? AND scope=? AND native_id=?)'],
    [
      'natives.nativesOf',
      NATIVES_OF,
      'USING INDEX sqlite_autoindex_native_ids_2 (network=? AND scope=? AND message_id=?)',
    ],
    ['natives.deleteBefore', DELETE_BEFORE, 'USING INDEX native_ids_created_at (created_at<?)'],
  ])('%s', (_name, sql, expected) => {
    const steps = plan(sql)
    expect(steps).toContain(expected)
    expect(steps).not.toMatch(/\bSCAN (n|native_ids)\b|TEMP B-TREE/)
  })
})

describe('sqlite blob queries use their indexes', () => {
  test.each([
    ['blobs.has', HAS, 'USING COVERING INDEX sqlite_autoindex_blobs_1 (hash=?)'],
    ['blobs.deleteBefore', BLOBS_DELETE_BEFORE, 'USING COVERING INDEX blobs_created_at (created_at<?)'],
  ])('%s', (_name, sql, expected) => {
    const steps = plan(sql)
    expect(steps).toContain(expected)
    expect(steps).not.toMatch(/\bSCAN (b|blobs)\b|TEMP B-TREE/)
  })
})
