import { afterEach, describe } from 'vitest'
import type { Store } from '../../../src/store/port.ts'
import { blobConformance } from './conformance/blobs.ts'
import { clusterConformance } from './conformance/cluster.ts'
import { cursorConformance } from './conformance/cursors.ts'
import { dedupeConformance } from './conformance/dedupe.ts'
import { deliveryConformance } from './conformance/deliveries.ts'
import { groupConformance } from './conformance/groups.ts'
import { heldConformance } from './conformance/held.ts'
import { identityConformance } from './conformance/identities.ts'
import { lifecycleConformance } from './conformance/lifecycle.ts'
import { linkConformance } from './conformance/links.ts'
import { messageConformance } from './conformance/messages.ts'
import { nativeConformance } from './conformance/natives.ts'
import type { ConformanceContext } from './conformance/support.ts'
import { tokenConformance } from './conformance/tokens.ts'
import { traceConformance } from './conformance/traces.ts'
import { transactionConformance } from './conformance/transactions.ts'

/**
 * The store port's conformance suite: every driver must pass it unchanged.
 *
 * `open` must return a new handle on the same database each time it is called (a file path for
 * SQLite, a database/schema for PostgreSQL), so that the suite can close a handle and reopen
 * the data. The database may start empty or already migrated, and its tests share it: each
 * test uses keys of its own. Handles the suite opens are closed after each test.
 *
 * @example
 *   storeConformance('sqlite', () => openSqliteStore({ path: join(dir, 'bridge.db') }))
 */
export function storeConformance(name: string, open: () => Promise<Store>): void {
  describe(`store conformance: ${name}`, () => {
    const handles: Store[] = []
    const openRaw = async (): Promise<Store> => {
      const store = await open()
      handles.push(store)
      return store
    }
    const ctx: ConformanceContext = {
      factory: open,
      openRaw,
      open: async () => {
        const store = await openRaw()
        await store.migrate()
        return store
      },
    }
    afterEach(async () => {
      await Promise.all(handles.splice(0).map((store) => store.close()))
    })

    describe('lifecycle', () => lifecycleConformance(ctx))
    describe('tokens', () => tokenConformance(ctx))
    describe('cursors', () => cursorConformance(ctx))
    describe('dedupe', () => dedupeConformance(ctx))
    describe('links', () => linkConformance(ctx))
    describe('messages', () => messageConformance(ctx))
    describe('deliveries', () => deliveryConformance(ctx))
    describe('traces', () => traceConformance(ctx))
    describe('transactions', () => transactionConformance(ctx))
    describe('cluster', () => clusterConformance(ctx))
    describe('held packets', () => heldConformance(ctx))
    describe('groups', () => groupConformance(ctx))
    describe('bridge identities', () => identityConformance(ctx))
    describe('native ids', () => nativeConformance(ctx))
    describe('blobs', () => blobConformance(ctx))
  })
}
