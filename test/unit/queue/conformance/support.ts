import { randomBytes } from 'node:crypto'
import type { QueueConfig, QueueDriver, QueueOptions } from '../../../../src/queue/index.ts'

export { waitUntil } from '../../../helpers/queue-child.ts'

/** What the suite needs beyond `open`: how a child process reaches the same backend. */
export interface QueueConformanceEnv {
  /** The openQueue config of the backend `open` uses, handed to child worker processes. */
  config(): QueueConfig
}

export interface ConformanceContext {
  /** A new driver on the shared backend, closed after the test. */
  open(): Promise<QueueDriver>
  readonly env: QueueConformanceEnv
  /** A directory for the test's files (worker logs). */
  dir(): string
}

/** A queue name no other test uses, so tests can share one backend. */
export function queueName(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Options for most tests: quick retries. */
export function options(overrides: Partial<QueueOptions<unknown>> = {}): QueueOptions<unknown> {
  return { attempts: 3, backoff: { baseMs: 20, maxMs: 100 }, concurrency: 4, ...overrides }
}

/** `n` job specs `prefix-0` … with their index as data. */
export function specs(prefix: string, n: number): Array<{ id: string; data: { i: number } }> {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, data: { i } }))
}

/** Counts how many times each id ran. */
export class RunCounter {
  readonly runs = new Map<string, number>()
  record(id: string): void {
    this.runs.set(id, (this.runs.get(id) ?? 0) + 1)
  }
  get total(): number {
    let sum = 0
    for (const n of this.runs.values()) sum += n
    return sum
  }
  duplicates(): string[] {
    return [...this.runs].filter(([, n]) => n > 1).map(([id]) => id)
  }
}
