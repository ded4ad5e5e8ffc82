import { expect, test } from 'vitest'
import type { TraceInput } from '../../../../src/store/port.ts'
import { type ConformanceContext, rejectsWith, testMessage } from './support.ts'

/** A deliver attempt of `messageId`, overridable. */
function trace(messageId: string, fields: Partial<TraceInput> = {}): TraceInput {
  return {
    messageId,
    targetKey: 'l1/webhook/hook',
    stage: 'deliver',
    attempt: 1,
    startedAt: 1_700_000_000_000,
    durationMs: 1.25,
    outcome: 'ok',
    error: null,
    ...fields,
  }
}

/** The trace repo: append-only rows per attempt, listed oldest first. */
export function traceConformance(ctx: ConformanceContext): void {
  test('append then listByMessage returns every field, oldest first, append order within a start time', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const t0 = 1_700_000_000_000
    const route = trace(id, {
      targetKey: null,
      stage: 'route',
      startedAt: t0 + 10,
      durationMs: 0,
      processId: 'p-1',
    })
    const retry = trace(id, {
      attempt: 1,
      startedAt: t0 + 20,
      outcome: 'retry',
      error: { code: 'HTTP_503', message: 'unavailable' },
    })
    const dead = trace(id, {
      attempt: 2,
      startedAt: t0 + 20,
      outcome: 'dead',
      error: { code: 'HTTP_400', message: '' },
    })
    const ingest = trace(id, { targetKey: null, stage: 'ingest', startedAt: t0, durationMs: 0.001 })
    const refused = trace(id, { targetKey: 'other', outcome: 'refused', startedAt: t0 + 30, durationMs: 12 })
    for (const t of [route, retry, dead, ingest, refused]) await store.traces.append(t)
    await store.traces.append(trace(testMessage().id))

    const listed = await store.traces.listByMessage(id)
    expect(listed).toEqual(
      [ingest, route, retry, dead, refused].map((t) => ({ ...t, id: expect.any(Number) })),
    )
    expect(listed[0]).not.toHaveProperty('processId')
    expect(listed[1]?.processId).toBe('p-1')
    expect(listed[2]!.id).toBeLessThan(listed[3]!.id)
    for (const row of listed) expect(Number.isSafeInteger(row.id)).toBe(true)
    expect(new Set(listed.map((row) => row.id)).size).toBe(listed.length)
    expect(await store.traces.listByMessage(testMessage().id)).toEqual([])
  })

  test('bad input is refused; error messages are sanitized like deliveries', async () => {
    const store = await ctx.open()
    const id = testMessage().id
    const bad: Partial<Record<keyof TraceInput, unknown>>[] = [
      { messageId: '' },
      { targetKey: '' },
      { stage: 'settle' },
      { attempt: 0 },
      { attempt: 1.5 },
      { startedAt: Number.NaN },
      { startedAt: undefined },
      { durationMs: -1 },
      { durationMs: Number.POSITIVE_INFINITY },
      { outcome: 'maybe' },
      { error: { code: '', message: 'x' } },
      { processId: '' },
    ]
    for (const fields of bad) {
      await rejectsWith(
        store.traces.append({ ...trace(id), ...fields } as TraceInput),
        'STORE_INVALID_ARGUMENT',
      )
    }
    await rejectsWith(store.traces.listByMessage(''), 'STORE_INVALID_ARGUMENT')
    expect(await store.traces.listByMessage(id)).toEqual([])

    await store.traces.append(trace(id, { outcome: 'retry', error: { code: 'X', message: '\0\uDC00!' } }))
    expect((await store.traces.listByMessage(id))[0]?.error).toEqual({ code: 'X', message: '\uFFFD\uFFFD!' })
  })
}
