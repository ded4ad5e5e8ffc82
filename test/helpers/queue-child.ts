import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { QueueConfig } from '../../src/queue/index.ts'

const WORKER = fileURLToPath(new URL('./queue-worker.ts', import.meta.url))

/** A running test/helpers/queue-worker.ts. */
export interface WorkerChild {
  readonly child: ChildProcess
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  stderr(): string
}

export interface WorkerChildSpec {
  readonly config: QueueConfig
  readonly queue: string
  readonly log: string
  readonly sleepMs?: number
  readonly concurrency?: number
}

/** Starts a worker process with this Node (24) and resolves once it prints `ready`. */
export async function startWorkerChild(spec: WorkerChildSpec, timeoutMs = 15_000): Promise<WorkerChild> {
  const child = spawn(process.execPath, [WORKER], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MFB_TEST_WORKER: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`queue worker not ready in ${timeoutMs} ms\n${stderr}`))
    }, timeoutMs)
    child.stdout?.on('data', (d) => {
      stdout += d
      if (stdout.includes('ready\n')) {
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`queue worker exited with ${code} before ready\n${stderr}`))
    })
  })
  return { child, exited, stderr: () => stderr }
}

/** The `start`/`done` lines a worker logged, as [event, id] pairs. */
export function readWorkerLog(path: string): Array<[string, string]> {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [event = '', id = ''] = line.split(' ')
      return [event, id]
    })
}

/** Polls `check` every 20 ms until it returns true; throws `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
