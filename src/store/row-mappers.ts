import type { Lease, ProcessInfo, ProcessRole } from './cluster-port.ts'
import type { ColumnReaders, ResultRow } from './columns.ts'
import type { CheckedEndpoint } from './relay-input.ts'
import type { DeliveryRecord, DeliveryState, Link, LinkDirection, Trace } from './relay-port.ts'

/**
 * Result rows to port objects, shared by the drivers: both schemas name their columns alike,
 * so one mapping keeps the drivers returning exactly the same shapes.
 */
export function rowMappers(r: ColumnReaders) {
  const toCheckedEndpoint = (row: ResultRow): CheckedEndpoint => ({
    network: r.text(row, 'network'),
    address: r.text(row, 'address'),
    direction: r.text(row, 'direction') as LinkDirection,
    options: r.text(row, 'options'),
  })

  /** Link rows joined with their endpoints (ordered by link, then position) to links. */
  const groupLinks = (rows: readonly ResultRow[]): Link[] => {
    const links: Link[] = []
    let last: Link | undefined
    for (const row of rows) {
      const id = r.text(row, 'id')
      if (last?.id !== id) {
        const allowSenders = r.textOrNull(row, 'allow_senders')
        last = {
          id,
          name: r.text(row, 'name'),
          endpoints: [],
          acl: { allowSenders: allowSenders === null ? null : (JSON.parse(allowSenders) as string[]) },
          rateLimitPerMinute: r.intOrNull(row, 'rate_limit_per_minute'),
          createdAt: r.int(row, 'created_at'),
          updatedAt: r.int(row, 'updated_at'),
        }
        links.push(last)
      }
      const endpoint = toCheckedEndpoint(row)
      last.endpoints.push({ ...endpoint, options: JSON.parse(endpoint.options) as Record<string, unknown> })
    }
    return links
  }

  const toDelivery = (row: ResultRow): DeliveryRecord => {
    const code = r.textOrNull(row, 'error_code')
    return {
      messageId: r.text(row, 'message_id'),
      targetKey: r.text(row, 'target_key'),
      linkId: r.text(row, 'link_id'),
      network: r.text(row, 'network'),
      address: r.text(row, 'address'),
      conversationKey: r.text(row, 'conversation_key'),
      seq: r.int(row, 'seq'),
      state: r.text(row, 'state') as DeliveryState,
      attempts: r.int(row, 'attempts'),
      nativeId: r.textOrNull(row, 'native_id'),
      lastError: code === null ? null : { code, message: r.text(row, 'error_message') },
      createdAt: r.int(row, 'created_at'),
      updatedAt: r.int(row, 'updated_at'),
      deliveredAt: r.intOrNull(row, 'delivered_at'),
    }
  }

  const toTrace = (row: ResultRow): Trace => {
    const code = r.textOrNull(row, 'error_code')
    const processId = r.textOrNull(row, 'process_id')
    const trace: Trace = {
      id: r.int(row, 'id'),
      messageId: r.text(row, 'message_id'),
      targetKey: r.textOrNull(row, 'target_key'),
      stage: r.text(row, 'stage') as Trace['stage'],
      attempt: r.int(row, 'attempt'),
      startedAt: r.int(row, 'started_at'),
      durationMs: r.real(row, 'duration_ms'),
      outcome: r.text(row, 'outcome') as Trace['outcome'],
      error: code === null ? null : { code, message: r.text(row, 'error_message') },
    }
    if (processId !== null) trace.processId = processId
    return trace
  }

  const toLease = (row: ResultRow): Lease => ({
    name: r.text(row, 'name'),
    holder: r.text(row, 'holder'),
    token: r.int(row, 'token'),
    acquiredAt: r.int(row, 'acquired_at'),
    expiresAt: r.int(row, 'expires_at'),
  })

  const toProcess = (row: ResultRow): ProcessInfo => ({
    id: r.text(row, 'id'),
    role: r.text(row, 'role') as ProcessRole,
    host: r.text(row, 'host'),
    pid: r.int(row, 'pid'),
    version: r.text(row, 'version'),
    startedAt: r.int(row, 'started_at'),
    lastSeen: r.int(row, 'last_seen'),
  })

  return { groupLinks, toCheckedEndpoint, toDelivery, toTrace, toLease, toProcess }
}
