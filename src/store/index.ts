import { BridgeError } from '../core/errors.ts'
import type { Store } from './port.ts'
import type { PostgresStoreOptions } from './postgres/store.ts'

export type { StoreErrorCode } from './errors.ts'
export type {
  ApiToken,
  CursorRepo,
  CursorState,
  DedupeRepo,
  DeliveryRecord,
  DeliveryRepo,
  DeliveryState,
  DeliveryTarget,
  Link,
  LinkAcl,
  LinkDirection,
  LinkEndpoint,
  LinkInput,
  LinkRepo,
  MessageRepo,
  MessageState,
  Repos,
  Scope,
  Store,
  StoredMessage,
  TokenRepo,
  Trace,
  TraceInput,
  TraceOutcome,
  TraceRepo,
} from './port.ts'
export { SCOPES } from './port.ts'

/** Store settings as the config carries them; the union grows with each driver. */
export type StoreConfig =
  | { driver: 'sqlite'; sqlite: { path: string; busyTimeoutMs?: number } }
  | { driver: 'postgres'; postgres: PostgresStoreOptions }

/**
 * Opens the store the config names. The driver module is loaded only when chosen, so a
 * driver's client library is needed only where it is used. Does not migrate: call
 * `store.migrate()` next. Blocks as the chosen driver's open does (SQLite: the file system).
 * @throws STORE_UNKNOWN_DRIVER for a driver this build lacks; otherwise as the driver's open
 *   (STORE_OPEN_FAILED, STORE_SCHEMA_TOO_NEW, STORE_INVALID_ARGUMENT; postgres also
 *   STORE_UNAVAILABLE, retryable, when the server cannot be reached).
 * @example
 *   const store = await openStore({ driver: 'sqlite', sqlite: { path: 'data/bridge.db' } })
 *   await store.migrate()
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.driver) {
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite/index.ts')
      return openSqliteStore(config.sqlite)
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres/index.ts')
      return openPostgresStore(config.postgres)
    }
    default: {
      const driver = String((config as { driver: unknown }).driver)
      throw new BridgeError('STORE_UNKNOWN_DRIVER', `unknown store driver ${JSON.stringify(driver)}`, {
        hint: 'set store.driver to sqlite or postgres',
        status: 500,
      })
    }
  }
}
