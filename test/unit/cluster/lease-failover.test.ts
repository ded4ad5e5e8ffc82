import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { openStore, type StoreConfig } from '../../../src/store/index.ts'

const WORKER = fileURLToPath(new URL('../../helpers/lease-worker.ts', import.meta.url))
const TTL = 2000
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
})

interface Worker {
  readonly id: string
  readonly child: ChildProcess
  output(): string
}

function spawnWorker(store: StoreConfig, id: string): Worker {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(store), id, String(TTL)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  let out = ''
  child.stdout?.on('data', (d) => {
    out += d
  })
  return { id, child, output: () => out }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Lease failover with real processes; run here on the sqlite store (one machine, several processes). */
export function leaseFailover(name: string, storeConfig: () => Promise<StoreConfig>): void {
  describe(`lease failover on ${name}`, () => {
    test('the holder is SIGKILLed: another takes over within 10 s; a paused holder is fenced; the sequence has no gap and no duplicate', {
      timeout: 60_000,
    }, async () => {
      const config = await storeConfig()
      const store = await openStore(config)
      await store.migrate()
      const workers = ['w1', 'w2', 'w3'].map((id) => spawnWorker(config, id))
      const holderOf = async () =>
        (await store.leases.list()).find((l) => l.name === 'sequence' && l.expiresAt > Date.now())

      const waitHolder = async (not?: string) => {
        const until = Date.now() + 10_000
        for (;;) {
          const lease = await holderOf()
          if (lease && lease.holder !== not) return { lease, at: Date.now() }
          if (Date.now() > until) throw new Error(`no new holder within 10 s (previous ${not})`)
          await sleep(50)
        }
      }
      const first = (await waitHolder()).lease
      await sleep(500)
      const victim = workers.find((w) => w.id === first.holder)!
      const killedAt = Date.now()
      victim.child.kill('SIGKILL')
      const second = await waitHolder(first.holder)
      expect(second.at - killedAt).toBeLessThan(10_000)
      expect(second.lease.token).toBeGreaterThan(first.token)
      await sleep(500)

      // A paused holder (GC pause, partition) outlives its lease; on resume its writes are refused.
      const paused = workers.find((w) => w.id === second.lease.holder)!
      paused.child.kill('SIGSTOP')
      const third = await waitHolder(second.lease.holder)
      expect(third.lease.token).toBeGreaterThan(second.lease.token)
      await sleep(300)
      paused.child.kill('SIGCONT')
      const until = Date.now() + 10_000
      while (!paused.output().includes('fenced') && Date.now() < until) await sleep(50)
      expect(paused.output()).toContain('fenced')
      await sleep(300)

      for (const w of workers) if (w !== victim) w.child.kill('SIGTERM')
      await Promise.all(
        workers
          .filter((w) => w !== victim)
          .map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))),
      )
      const last = Number((await store.cursors.get('sequence'))?.value)
      expect(last).toBeGreaterThan(20)
      for (let n = 1; n <= last; n++)
        expect(await store.dedupe.has('sequence', String(n)), `number ${n} written`).toBe(true)
      expect(await store.dedupe.has('sequence', String(last + 1))).toBe(false)
      for (const w of workers) expect(w.output()).not.toMatch(/duplicate/)
      // A clean stop released the lease: nobody holds it now.
      expect(await holderOf()).toBeUndefined()
      await store.close()
    })
  })
}

leaseFailover('sqlite', async () => ({
  driver: 'sqlite',
  sqlite: { path: join(mkdtempSync(join(tmpdir(), 'mfb-lease-')), 'store.db') },
}))
