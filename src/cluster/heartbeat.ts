import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from '../log/logger.ts'
import type { ProcessInfo, ProcessRole, Store } from '../store/port.ts'
import { VERSION } from '../version.ts'

/** Seen within this window, a process counts as live in /v1/cluster. */
export const LIVE_WINDOW_MS = 15_000
const EVERY_MS = 5_000

/** This process's identity in the cluster: host, pid and a random suffix (pids repeat across machines). */
export function processIdentity(role: ProcessRole): Omit<ProcessInfo, 'lastSeen'> {
  const host = hostname()
  return {
    id: `${host}-${process.pid}-${randomBytes(3).toString('hex')}`,
    role,
    host,
    pid: process.pid,
    version: VERSION,
    startedAt: Date.now(),
  }
}

/** Announces the process in the store every 5 s; stop() removes it (a clean exit). */
export async function startHeartbeat(
  store: Store,
  me: Omit<ProcessInfo, 'lastSeen'>,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  await store.processes.heartbeat(me)
  const timer = setInterval(() => {
    store.processes.heartbeat(me).catch((err) => log.warn({ err }, 'heartbeat failed'))
  }, EVERY_MS)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await store.processes.remove(me.id).catch(() => {})
    },
  }
}
