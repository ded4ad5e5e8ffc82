import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CHILD = fileURLToPath(new URL('./group-node-child.ts', import.meta.url))

/** A group message a node handed to its onMessage handler. */
export interface GroupEvent {
  groupId: string
  from: string
  text: string
}

/** A node with the group service in a child process (test/helpers/group-node-child.ts). */
export interface GroupNodeProcess {
  readonly peerId: string
  /** Its TCP multiaddr with /p2p/<peer id>, to bootstrap from. */
  readonly address: string
  /** Group messages it received, in arrival order. */
  readonly messages: GroupEvent[]
  /** Groups it was told it was removed from. */
  readonly removed: string[]
  call<T>(op: string, args?: Record<string, string>): Promise<T>
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>
  /** Starts it again with the same key, port and data directory. */
  restart(): Promise<GroupNodeProcess>
  stderr(): string
}

export interface GroupNodeSpec {
  dir?: string
  seedHex?: string
  port?: number
  bootstrap?: string[]
  /** Packet holding on (the group service sends with sendOrHold); default true. */
  hold?: boolean
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Forks a group node with this Node (24) and resolves once it reports `ready`. */
export async function startGroupNode(
  spec: GroupNodeSpec = {},
  timeoutMs = 20_000,
): Promise<GroupNodeProcess> {
  const full = {
    dir: spec.dir ?? mkdtempSync(join(tmpdir(), 'mfb-group-')),
    seedHex: spec.seedHex ?? randomBytes(32).toString('hex'),
    port: spec.port ?? (await freePort()),
    bootstrap: spec.bootstrap ?? [],
    hold: spec.hold ?? true,
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
  const messages: GroupEvent[] = []
  const removed: string[] = []
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
      } else if (m.event === 'group-message') {
        messages.push({ groupId: m.groupId as string, from: m.from as string, text: m.text as string })
      } else if (m.event === 'removed') removed.push(m.groupId as string)
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
    address: info.addresses.find((a) => a.includes('/tcp/') && !a.includes('/ws')) as string,
    messages,
    removed,
    call: <T>(op: string, args: Record<string, string> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id, op, args })
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
    restart: () => startGroupNode(full, timeoutMs),
    stderr: () => stderr,
  }
}
