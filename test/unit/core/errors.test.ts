import { describe, expect, test } from 'vitest'
import { BridgeError, InvalidInputError, isRetryable, toBridgeError } from '../../../src/core/errors.ts'
import { redactText, redactUrl } from '../../../src/core/redact.ts'

describe('BridgeError', () => {
  test('carries code, short message, hints, cause and retryable', () => {
    const cause = new Error('ECONNREFUSED')
    const err = new BridgeError('QUEUE_DOWN', 'cannot reach redis://127.0.0.1:6379', {
      hint: ['start Redis', 'or set queue.driver: sqlite'],
      cause,
      retryable: true,
      status: 503,
    })
    expect(err.code).toBe('QUEUE_DOWN')
    expect(err.shortMessage).toBe('cannot reach redis://127.0.0.1:6379')
    expect(err.hints).toEqual(['start Redis', 'or set queue.driver: sqlite'])
    expect(err.cause).toBe(cause)
    expect(err.retryable).toBe(true)
    expect(err.name).toBe('BridgeError')
    expect(err.message).toContain('hint: start Redis')
    expect(err.message).toContain('cause: ECONNREFUSED')
    expect(err.toJSON()).toEqual({
      error: {
        code: 'QUEUE_DOWN',
        message: 'cannot reach redis://127.0.0.1:6379',
        hint: 'start Redis or set queue.driver: sqlite',
      },
    })
  })

  test('credentials in URLs never reach the message, hints or JSON', () => {
    const err = new BridgeError(
      'STORE_DOWN',
      'cannot connect to postgres://bridge:hunter2@db.example.com/mfb',
      {
        hint: 'check https://hs.example.com/_matrix?access_token=syt_secret and redis://:pw@127.0.0.1:6379',
        cause: new Error('connect to smtp://mailer:p4ss@mail.example.com failed'),
      },
    )
    const everything = `${err.message} ${JSON.stringify(err.toJSON())}`
    for (const secret of ['hunter2', 'syt_secret', ':pw@', 'p4ss']) expect(everything).not.toContain(secret)
    expect(err.shortMessage).toContain('postgres://bridge:REDACTED@db.example.com/mfb')
  })

  test('subclasses keep their name and default status', () => {
    const err = new InvalidInputError('BAD', 'bad thing')
    expect(err.status).toBe(400)
    expect(err.name).toBe('InvalidInputError')
    expect(err).toBeInstanceOf(BridgeError)
  })

  test('unknown errors are wrapped as retryable internal errors', () => {
    expect(isRetryable(new Error('boom'))).toBe(true)
    expect(isRetryable(new InvalidInputError('BAD', 'bad'))).toBe(false)
    const wrapped = toBridgeError(new Error('boom'))
    expect(wrapped.code).toBe('INTERNAL')
    expect(wrapped.toJSON().error.message).toBe('internal error')
  })

  test('redaction leaves URLs without secrets untouched', () => {
    expect(redactUrl('http://127.0.0.1:8080/v1/node')).toBe('http://127.0.0.1:8080/v1/node')
    expect(redactUrl('not a url')).toBe('not a url')
    expect(redactText('see redis://user@h:1 now')).toBe('see redis://REDACTED@h:1 now')
  })
})
