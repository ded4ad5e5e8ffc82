import { describe, expect, test } from 'vitest'
import { Mutex } from '../../../../src/store/sqlite/mutex.ts'
import { sleep } from '../conformance/support.ts'

describe('Mutex', () => {
  test('runs work one at a time in call order, across awaits', async () => {
    const mutex = new Mutex()
    const events: string[] = []
    const job = (name: string, ms: number) =>
      mutex.run(async () => {
        events.push(`${name}:start`)
        await sleep(ms)
        events.push(`${name}:end`)
        return name
      })
    const results = await Promise.all([job('a', 15), job('b', 1), job('c', 5)])
    expect(results).toEqual(['a', 'b', 'c'])
    expect(events).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end'])
  })

  test('a failing work rejects its own call only, and the queue moves on', async () => {
    const mutex = new Mutex()
    const failing = mutex.run(() => {
      throw new Error('nope')
    })
    const next = mutex.run(() => 'next')
    await expect(failing).rejects.toThrow('nope')
    await expect(next).resolves.toBe('next')
  })
})
