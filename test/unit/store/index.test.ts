import { describe, expect, test } from 'vitest'
import { openStore, SCOPES, type StoreConfig } from '../../../src/store/index.ts'
import { rejectsWith } from './conformance/support.ts'

describe('openStore', () => {
  test('opens the sqlite driver', async () => {
    const store = await openStore({ driver: 'sqlite', sqlite: { path: ':memory:' } })
    expect(store.driver).toBe('sqlite')
    await store.migrate()
    await store.ping()
    await store.close()
  })

  test('an unknown driver is refused with STORE_UNKNOWN_DRIVER', async () => {
    const config = { driver: 'mongodb', sqlite: { path: ':memory:' } } as unknown as StoreConfig
    const err = await rejectsWith(openStore(config), 'STORE_UNKNOWN_DRIVER')
    expect(err.shortMessage).toContain('"mongodb"')
  })

  test('exports the scopes', () => {
    expect(SCOPES).toEqual(['read', 'send', 'admin'])
  })
})
