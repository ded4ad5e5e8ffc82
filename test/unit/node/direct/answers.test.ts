import { describe, expect, test } from 'vitest'
import { generateIdentity } from '../../../../src/crypto/identity.ts'
import { MAX_BATCH, StreamAnswers } from '../../../../src/node/direct/answers.ts'
import { decodeFrame, type Frame } from '../../../../src/node/direct/frames.ts'
import { verifyReceipts } from '../../../../src/node/direct/receipt.ts'

const recipient = generateIdentity()
const [alice, bob] = [generateIdentity(), generateIdentity()]
const mid = (n: number) => new Uint8Array(32).fill(n)
const turn = () => new Promise((resolve) => setImmediate(resolve))

/** A StreamAnswers whose frames land, decoded, in `written`. */
function answers(write?: (frame: Uint8Array) => Promise<void>) {
  const written: Frame[] = []
  const errors: unknown[] = []
  const out = new StreamAnswers(
    recipient,
    write ??
      (async (frame) => {
        written.push(decodeFrame(frame))
      }),
    (err) => errors.push(err),
  )
  return { out, written, errors }
}

/** What each written frame answers: the mids of receipts, or `reject <mid byte>`. */
const shape = (frames: Frame[]) =>
  frames.map((f) => (f.type === 'receipts' ? f.mids.map((m) => m[0]) : `${f.type} ${f.mid[0]}`))

describe('the answers of one inbound stream', () => {
  test('messages handed on in one turn get one receipts frame, in order, signed once', async () => {
    const { out, written } = answers()
    for (const n of [1, 2, 3]) out.delivered(mid(n), alice.publicKey)
    expect(written).toHaveLength(0)
    expect(out.unanswered).toBe(3)
    await turn()
    await out.settled()
    expect(shape(written)).toEqual([[1, 2, 3]])
    expect(out.unanswered).toBe(0)
    const frame = written[0] as Extract<Frame, { type: 'receipts' }>
    expect(verifyReceipts(frame, recipient.publicKey, alice.publicKey)).toBe(true)
  })

  test('a lone message is answered at the end of its turn, without waiting for others', async () => {
    const { out, written } = answers()
    out.delivered(mid(1), alice.publicKey)
    await turn()
    await out.settled()
    expect(shape(written)).toEqual([[1]])
  })

  test('a reject comes after the receipts of the messages before it; another sender starts a new batch', async () => {
    const { out, written } = answers()
    out.delivered(mid(1), alice.publicKey)
    out.delivered(mid(2), alice.publicKey)
    out.reject({ type: 'reject', mid: mid(3), code: 'NODE_NOT_READY', message: 'later', retryable: true })
    out.delivered(mid(4), alice.publicKey)
    out.delivered(mid(5), bob.publicKey)
    await out.settled()
    expect(shape(written)).toEqual([[1, 2], 'reject 3', [4], [5]])
    const [, , forAlice, forBob] = written as Extract<Frame, { type: 'receipts' }>[]
    expect(verifyReceipts(forAlice!, recipient.publicKey, alice.publicKey)).toBe(true)
    expect(verifyReceipts(forBob!, recipient.publicKey, bob.publicKey)).toBe(true)
  })

  test(`a batch is written once it holds ${MAX_BATCH} messages`, async () => {
    const { out, written } = answers()
    for (let n = 0; n < MAX_BATCH + 1; n++) out.delivered(mid(n), alice.publicKey)
    await Promise.resolve()
    expect(written.map((f) => (f.type === 'receipts' ? f.mids.length : 0))).toEqual([MAX_BATCH])
    await out.settled()
    expect(written.map((f) => (f.type === 'receipts' ? f.mids.length : 0))).toEqual([MAX_BATCH, 1])
  })

  test('the first failed write is reported once and stops the writes after it', async () => {
    let writes = 0
    const { out, errors } = answers(async () => {
      writes++
      throw new Error('stream reset')
    })
    out.delivered(mid(1), alice.publicKey)
    out.flush()
    out.reject({ type: 'reject', mid: mid(2), code: 'NODE_NOT_READY', message: 'later', retryable: true })
    await out.settled()
    expect(writes).toBe(1)
    expect(errors).toEqual([new Error('stream reset')])
  })
})
