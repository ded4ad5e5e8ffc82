import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { openSqliteQueue } from '../../../src/queue/sqlite/index.ts'
import { queueConformance } from './conformance.ts'

const dir = mkdtempSync(join(tmpdir(), 'mfb-sqlite-queue-'))
const path = join(dir, 'queue.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

queueConformance('sqlite', () => openSqliteQueue({ path }), {
  config: () => ({ driver: 'sqlite', sqlite: { path } }),
})
