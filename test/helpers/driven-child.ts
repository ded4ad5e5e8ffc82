import { type ChildProcess, fork } from 'node:child_process'
import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A node child process driven over IPC: `{id, op, args}` in, `{id, ok, value | error}` back. */
export interface DrivenChild {
  readonly pid: number
  readonly peerId: string
  /** Its TCP multiaddr with /p2p/<peer id>, to bootstrap from. */
  readonly address: string
  call<T>(op: string, args?: Record<string, string>): Promise<T>
  /** SIGTERM (unless it already exited), and wait for the exit. */
  stop(): Promise<void>
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>
  stderr(): string
}

/**
 * Forks `script` with this Node (24), its spec in MFB_TEST_NODE, and resolves once it sends
 * `{event: 'ready', peerId, addresses}`. Other `{event}` messages go to `onEvent`.
 */
export async function forkDriven(
  script: string,
  spec: unknown,
  onEvent: (message: Record<string, unknown>) => void,
  timeoutMs: number,
): Promise<DrivenChild> {
  const child: ChildProcess = fork(script, [], {
    execPath: process.execPath,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MFB_TEST_NODE: JSON.stringify(spec) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
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
      } else if (typeof m.id === 'number') {
        const p = pending.get(m.id)
        pending.delete(m.id)
        if (m.ok) p?.resolve(m.value)
        else {
          const e = m.error as { code: string; message: string }
          p?.reject(Object.assign(new Error(e.message), { code: e.code }))
        }
      } else onEvent(m)
    })
  })
  const info = await ready.catch((err) => {
    child.kill('SIGKILL')
    throw err
  })
  const running = () => child.exitCode === null && child.signalCode === null
  return {
    pid: child.pid as number,
    peerId: info.peerId,
    address: info.addresses.find((a) => a.includes('/tcp/') && !a.includes('/ws')) as string,
    call: <T>(op: string, args: Record<string, string> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id, op, args })
      }),
    stop: async () => {
      if (running()) child.kill('SIGTERM')
      await exited
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL')
      await exited
    },
    stderr: () => stderr,
  }
}
