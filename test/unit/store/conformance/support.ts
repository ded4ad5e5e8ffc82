import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect } from 'vitest'
import { BridgeError } from '../../../../src/core/errors.ts'
import { messageId } from '../../../../src/core/ids.ts'
import { type BridgeMessage, bridgeMessageSchema } from '../../../../src/core/message.ts'
import type { Store } from '../../../../src/store/port.ts'

/** What each part of the conformance suite gets from `storeConformance`. */
export interface ConformanceContext {
  /** The driver's factory as given: a new handle on the suite's one database, not migrated. */
  factory: () => Promise<Store>
  /** A new handle, migrated, closed after the current test. */
  open: () => Promise<Store>
  /** A handle from `factory` that is closed after the current test, not migrated. */
  openRaw: () => Promise<Store>
}

/**
 * A name no other test uses. The suite's tests share one database (the factory reopens the
 * same one, and a PostgreSQL run may share a schema), so every test works on its own keys.
 */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID()}`
}

/** Awaits a promise that must reject with a BridgeError of `code`; returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<BridgeError> {
  const outcome = await promise.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok) throw new Error(`expected a rejection with ${code}, got a value: ${String(outcome.value)}`)
  expect(outcome.error).toBeInstanceOf(BridgeError)
  expect((outcome.error as BridgeError).code).toBe(code)
  return outcome.error as BridgeError
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A promise and the function that resolves it, to hold a transaction open at a chosen point. */
export function latch(): { promise: Promise<void>; release: () => void } {
  let release = (): void => {}
  const promise = new Promise<void>((resolve) => {
    release = resolve
  })
  return { promise, release }
}

/** A valid text BridgeMessage with a fresh id, in the conversation given (default: a fresh one). */
export function testMessage(text = 'hello', conversationId = unique('!room')): BridgeMessage {
  const nativeId = unique('$event')
  return bridgeMessageSchema.parse({
    kind: 'text',
    id: messageId('matrix', nativeId),
    origin: { network: 'matrix', nativeId, sender: 'matrix:@alice:example.com' },
    conversation: { network: 'matrix', id: conversationId },
    timestamp: Date.now(),
    body: { text },
  })
}

/**
 * One migrated handle for the whole describe block (property tests run many times; opening a
 * handle per run would dominate). Returns a getter: the handle exists once beforeAll ran.
 */
export function sharedStore(ctx: ConformanceContext): () => Store {
  let store: Store | undefined
  beforeAll(async () => {
    store = await ctx.factory()
    await store.migrate()
  })
  afterAll(async () => {
    await store?.close()
  })
  return () => store as Store
}
