import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe } from 'vitest'
import type { QueueDriver } from '../../../src/queue/index.ts'
import { deliveryConformance } from './conformance/delivery.ts'
import { failureConformance } from './conformance/failures.ts'
import { lifecycleConformance } from './conformance/lifecycle.ts'
import { processConformance } from './conformance/processes.ts'
import type { ConformanceContext, QueueConformanceEnv } from './conformance/support.ts'

export type { QueueConformanceEnv } from './conformance/support.ts'

/**
 * The queue port's conformance suite: every driver must pass it unchanged.
 *
 * `open` returns a new driver on one shared backend (a database file, a Redis and prefix)
 * each time; `env.config()` is the openQueue config of that same backend, which the suite hands
 * to child worker processes (test/helpers/queue-worker.ts). Tests use queue names of their
 * own, so they share the backend. Drivers the suite opens are closed after each test.
 *
 * @example
 *   queueConformance('sqlite', () => openSqliteQueue({ path }), { config: () => ({ driver: 'sqlite', sqlite: { path } }) })
 */
export function queueConformance(
  name: string,
  open: () => Promise<QueueDriver>,
  env: QueueConformanceEnv,
): void {
  describe(`queue conformance: ${name}`, () => {
    const drivers: QueueDriver[] = []
    let dir = ''
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mfb-queue-'))
    })
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true })
    })
    afterEach(async () => {
      await Promise.all(drivers.splice(0).map((driver) => driver.close(1000)))
    })
    const ctx: ConformanceContext = {
      env,
      dir: () => dir,
      open: async () => {
        const driver = await open()
        drivers.push(driver)
        return driver
      },
    }

    describe('delivery', () => deliveryConformance(ctx))
    describe('failures', () => failureConformance(ctx))
    describe('lifecycle', () => lifecycleConformance(ctx))
    describe('processes', () => processConformance(ctx))
  })
}
