import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CHILD = fileURLToPath(new URL('./node-child.ts', import.meta.url))

export interface DirectEvent {
  mid: string
  from: string
  payload: string
}

/** A Mainframe node in a child process (test/helpers/node-child.ts), driven over IPC. */
export interface NodeProcess {
  readonly peerId: string
  readonly pid: number
  /** Its TCP multiaddr with /p2p/<peer id>, to bootstrap from. */
  readonly address: string
  /** Direct messages it handed on, in arrival order. */
  readonly received: DirectEvent[]
  call<T>(op: string, args?: Record<string, string>): Promise<T>
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>
  /** SIGKILL. */
  kill(): Promise<void>
  /** Starts it again with the same key, port and data directory. */
  restart(): Promise<NodeProcess>
  /** What it was started with (its data directory, key, port, bootstrap list). */
  readonly spec: Required<NodeSpec>
  stderr(): string
}

export interface NodeSpec {
  dir?: string
  seedHex?: string
  port?: number
  bootstrap?: string[]
  /** Packets one sender may have held on this node for one recipient (default 1000). */
  holdMaxPerSender?: number
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Forks a node process with this Node (24) and resolves once it reports `ready`. */
export async function startNodeProcess(spec: NodeSpec = {}, timeoutMs = 20_000): Promise<NodeProcess> {
  const full = {
    dir: spec.dir ?? mkdtempSync(join(tmpdir(), 'mfb-node-')),
    seedHex: spec.seedHex ?? randomBytes(32).toString('hex'),
    port: spec.port ?? (await freePort()),
    bootstrap: spec.bootstrap ?? [],
    holdMaxPerSender: spec.holdMaxPerSender ?? 1000,
  }
  const child: ChildProcess = fork(CHILD, [], {
    execPath: process.execPath,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MFB_TEST_NODE: JSON.stringify(full) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const received: DirectEvent[] = []
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 1
  const ready = new Promise<{ peerId: string; addresses: string[] }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node not ready in ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    )
    child.once('exit', (code) => reject(new Error(`node exited (${code}) before ready\n${stderr}`)))
    child.on('message', (m: Record<string, unknown>) => {
      if (m.event === 'ready') {
        clearTimeout(timer)
        resolve(m as { peerId: string; addresses: string[] })
      } else if (m.event === 'direct') received.push(m as unknown as DirectEvent)
      else if (typeof m.id === 'number') {
        const p = pending.get(m.id)
        pending.delete(m.id)
        if (m.ok) p?.resolve(m.value)
        else {
          const e = m.error as { code: string; message: string }
          p?.reject(Object.assign(new Error(e.message), { code: e.code }))
        }
      }
    })
  })
  const info = await ready.catch((err) => {
    child.kill('SIGKILL')
    throw err
  })
  return {
    peerId: info.peerId,
    pid: child.pid as number,
    address: info.addresses.find((a) => a.includes('/tcp/') && !a.includes('/ws')) as string,
    received,
    call: <T>(op: string, args: Record<string, string> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id, op, args })
      }),
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
    kill: async () => {
      child.kill('SIGKILL')
      await exited
    },
    restart: () => startNodeProcess(full, timeoutMs),
    spec: full,
    stderr: () => stderr,
  }
}
