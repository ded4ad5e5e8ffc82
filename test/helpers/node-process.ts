import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type DrivenChild, forkDriven, freePort } from './driven-child.ts'

const CHILD = fileURLToPath(new URL('./node-child.ts', import.meta.url))

export interface DirectEvent {
  mid: string
  from: string
  payload: string
}

/** A Mainframe node in a child process (test/helpers/node-child.ts), driven over IPC. */
export interface NodeProcess extends DrivenChild {
  /** Direct messages it handed on, in arrival order. */
  readonly received: DirectEvent[]
  /** Starts it again with the same key, port and data directory. */
  restart(): Promise<NodeProcess>
  /** What it was started with (its data directory, key, port, bootstrap list). */
  readonly spec: Required<NodeSpec>
}

export interface NodeSpec {
  dir?: string
  seedHex?: string
  port?: number
  bootstrap?: string[]
  /** Packets one sender may have held on this node for one recipient (default 1000). */
  holdMaxPerSender?: number
}

export { freePort } from './driven-child.ts'

/** Forks a node process with this Node (24) and resolves once it reports `ready`. */
export async function startNodeProcess(spec: NodeSpec = {}, timeoutMs = 20_000): Promise<NodeProcess> {
  const full = {
    dir: spec.dir ?? mkdtempSync(join(tmpdir(), 'mfb-node-')),
    seedHex: spec.seedHex ?? randomBytes(32).toString('hex'),
    port: spec.port ?? (await freePort()),
    bootstrap: spec.bootstrap ?? [],
    holdMaxPerSender: spec.holdMaxPerSender ?? 1000,
  }
  const received: DirectEvent[] = []
  const driven = await forkDriven(
    CHILD,
    full,
    (m) => {
      if (m.event === 'direct') received.push(m as unknown as DirectEvent)
    },
    timeoutMs,
  )
  return {
    ...driven,
    received,
    restart: () => startNodeProcess(full, timeoutMs),
    spec: full,
  }
}
