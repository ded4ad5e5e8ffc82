/**
 * A test singleton in a child process: while it holds the lease "sequence", it appends the
 * next number of a sequence to the store (cursor + a dedupe mark per number), each write
 * fenced by the lease token. argv: <store json> <holder id> <ttl ms>.
 * Prints "holding <token>" when it takes the lease, "fenced" when a write is refused,
 * "duplicate <n>" if it ever writes a number twice (the test fails on that).
 */
import { keepLease } from '../../src/cluster/lease-keeper.ts'
import { BridgeError } from '../../src/core/errors.ts'
import { createLogger } from '../../src/log/logger.ts'
import { openStore, type StoreConfig } from '../../src/store/index.ts'

const [storeJson, holder, ttl] = process.argv.slice(2) as [string, string, string]
const store = await openStore(JSON.parse(storeJson) as StoreConfig)
await store.migrate()
const log = createLogger({ level: 'silent' })

const keeper = keepLease(
  store,
  'sequence',
  holder,
  async ({ token, signal }) => {
    process.stdout.write(`holding ${token}\n`)
    while (!signal.aborted) {
      try {
        await store.transaction(async (tx) => {
          await tx.leases.check('sequence', token)
          const current = await tx.cursors.get('sequence')
          const next = Number(current?.value ?? '0') + 1
          await tx.cursors.put('sequence', String(next), current?.version ?? 0)
          if (!(await tx.dedupe.remember('sequence', String(next))))
            process.stdout.write(`duplicate ${next}\n`)
        })
      } catch (err) {
        if (err instanceof BridgeError && err.code === 'STORE_FENCED') {
          process.stdout.write('fenced\n')
          return
        }
        if (!(err instanceof BridgeError && err.retryable)) throw err
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  },
  { ttlMs: Number(ttl) },
  log,
)

process.once('SIGTERM', async () => {
  await keeper.stop()
  await store.close()
  process.exit(0)
})
