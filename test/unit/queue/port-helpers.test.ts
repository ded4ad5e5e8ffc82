import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { BridgeError, InvalidInputError } from '../../../src/core/errors.ts'
import { unreachable } from '../../../src/queue/errors.ts'
import { notifyAttemptFailed } from '../../../src/queue/failure.ts'
import { backoffDelay, checkJobId, openQueue, summarizeError } from '../../../src/queue/index.ts'
import { checkOptions } from '../../../src/queue/validate.ts'

describe('backoffDelay', () => {
  test.prop([
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 100_000 }),
    fc.integer({ min: 1, max: 80 }),
  ])('stays in [d/2, d] with d = min(max, base * 2^(attempt-1))', (base, extra, attempt) => {
    const backoff = { baseMs: base, maxMs: base + extra }
    const d = Math.min(backoff.maxMs, base * 2 ** (attempt - 1))
    for (const r of [0, 0.5, 0.999999]) {
      const delay = backoffDelay(backoff, attempt, () => r)
      expect(delay).toBeGreaterThanOrEqual(Math.floor(d / 2))
      expect(delay).toBeLessThanOrEqual(Math.ceil(d))
    }
  })

  test('doubles per attempt until the cap, jitter from half to all of it', () => {
    const b = { baseMs: 100, maxMs: 1000 }
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(b, n, () => 1))).toEqual([100, 200, 400, 800, 1000])
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(b, n, () => 0))).toEqual([50, 100, 200, 400, 500])
  })
})

describe('job ids', () => {
  test('accepts message-derived ids and rejects ":" , all digits, empty, too long', () => {
    for (const ok of ['m-abc', 'deliver.x_1', 'a1', '1a', '٣']) expect(checkJobId(ok)).toBe(ok)
    for (const bad of ['a:b', ':', '007', '1', '', 'x'.repeat(257)]) {
      expect(() => checkJobId(bad), bad).toThrow(InvalidInputError)
    }
    expect(() => checkJobId(12 as unknown as string)).toThrow(/expected a string/)
  })
})

describe('queue options', () => {
  const good = { attempts: 3, concurrency: 2, backoff: { baseMs: 10, maxMs: 100 } }
  test('names the first option out of range', () => {
    expect(() => checkOptions(good)).not.toThrow()
    expect(() => checkOptions({ ...good, attempts: 0 })).toThrow(/attempts/)
    expect(() => checkOptions({ ...good, concurrency: 1.5 })).toThrow(/concurrency/)
    expect(() => checkOptions({ ...good, backoff: { baseMs: 10, maxMs: 5 } })).toThrow(/backoff.maxMs/)
    expect(() => checkOptions({ ...good, backoff: { baseMs: -1, maxMs: 5 } })).toThrow(/backoff.baseMs/)
  })
})

describe('summarizeError', () => {
  test('a BridgeError: its code and short message', () => {
    const err = new BridgeError('WEBHOOK_REJECTED', 'receiver answered 400', { hint: 'fix the receiver' })
    expect(summarizeError(err)).toEqual({ code: 'WEBHOOK_REJECTED', message: 'receiver answered 400' })
  })

  test('another error: its code when it looks like one, the first line, credentials stripped', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED redis://:s3cret@h:1\nstack-ish'), {
      code: 'ECONNREFUSED',
    })
    const summary = summarizeError(err)
    expect(summary.code).toBe('ECONNREFUSED')
    expect(summary.message).toContain('redis://')
    expect(summary.message).not.toContain('s3cret')
    expect(summary.message).not.toContain('stack-ish')
    expect(summarizeError('a string')).toEqual({ code: 'HANDLER_ERROR', message: 'a string' })
    expect(summarizeError(Object.assign(new Error('x'), { code: 42 })).code).toBe('HANDLER_ERROR')
  })
})

describe('notifyAttemptFailed', () => {
  const job = { id: 'j-1', queue: 'q', data: null, attempt: 1, maxAttempts: 3, enqueuedAt: 0 }

  test('awaits the hook with the job, the error and willRetry', async () => {
    const calls: unknown[] = []
    const err = new Error('x')
    await notifyAttemptFailed(
      { onAttemptFailed: async (...args) => void calls.push(args) },
      job,
      err,
      true,
      () => {},
    )
    expect(calls).toEqual([[job, err, true]])
  })

  test('a hook that throws is reported as QUEUE_HOOK_FAILED, never thrown', async () => {
    const reported: unknown[] = []
    const hook = {
      onAttemptFailed: () => {
        throw new Error('store down at postgres://u:pw@db/x')
      },
    }
    await notifyAttemptFailed(hook, job, new Error('x'), false, (e) => reported.push(e))
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: 'QUEUE_HOOK_FAILED' })
    expect((reported[0] as Error).message).toContain('j-1')
    expect((reported[0] as Error).message).not.toContain(':pw@')
  })
})

describe('openQueue', () => {
  test('an unknown driver is QUEUE_UNKNOWN_DRIVER with a hint', async () => {
    const err = await openQueue({ driver: 'kafka' } as never).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BridgeError)
    expect(err).toMatchObject({ code: 'QUEUE_UNKNOWN_DRIVER' })
    expect((err as BridgeError).hint).toMatch(/sqlite/)
  })

  test('QUEUE_UNREACHABLE never shows the password of the URL', () => {
    const err = unreachable('redis://user:hunter2@10.0.0.1:6379/0', new Error('connect ETIMEDOUT'))
    expect(err.retryable).toBe(true)
    expect(err.message).toContain('10.0.0.1:6379')
    expect(err.message).not.toContain('hunter2')
    expect(JSON.stringify(err.toJSON())).not.toContain('hunter2')
  })
})
