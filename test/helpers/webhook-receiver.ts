import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verify } from '../../adapters/webhook/signature.ts'

/**
 * A real HTTP webhook receiver, as a user's service would be: it verifies the signature,
 * records every delivery by its Idempotency-Key (the deduped view) and counts the ones it saw
 * twice at the wire. It can answer with a chosen status, and go down and come back on the
 * same port.
 */
export interface Receiver {
  readonly url: string
  /** Idempotency key → the message JSON first received with it. */
  readonly received: Map<string, { id: string; body: { text: string } }>
  /** Deliveries of a key already received (at-least-once at the wire). */
  duplicates(): number
  /** Every POST that reached the handler, whatever it answered. */
  hits(): number
  /** Signatures that did not verify (must stay 0). */
  badSignatures(): number
  /** The status to answer with (200 by default). */
  answer(status: number): void
  /** Stops listening (connections refused) until `up()`. */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
  /** Resolves when `count` distinct keys have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<void>
}

export async function startReceiver(secret: string, host = '127.0.0.1'): Promise<Receiver> {
  const received = new Map<string, { id: string; body: { text: string } }>()
  let duplicates = 0
  let hits = 0
  let bad = 0
  let status = 200
  let server: Server | undefined
  let port = 0

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hits++
      const raw = Buffer.concat(chunks).toString('utf8')
      const ok = verify(
        secret,
        raw,
        req.headers['x-mainframe-signature'] as string | undefined,
        Math.floor(Date.now() / 1000),
        300,
      )
      if (!ok.ok) {
        bad++
        res.writeHead(401).end()
        return
      }
      if (status >= 200 && status < 300) {
        const key = String(req.headers['idempotency-key'])
        if (received.has(key)) duplicates++
        else received.set(key, JSON.parse(raw))
      }
      res.writeHead(status, { 'x-delivery-id': `rcv-${hits}` }).end()
    })
  }

  const up = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer(handle)
      // Node's default; a shorter one makes clients drop the connection after every answer.
      next.keepAliveTimeout = 5000
      next.once('error', reject)
      next.listen(port, host, () => {
        port = (next.address() as AddressInfo).port
        server = next
        resolve()
      })
    })
  const down = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
      server = undefined
    })

  await up()
  return {
    url: `http://${host}:${port}/hook`,
    received,
    duplicates: () => duplicates,
    hits: () => hits,
    badSignatures: () => bad,
    answer: (s) => {
      status = s
    },
    down,
    up,
    close: down,
    async waitFor(count, timeoutMs) {
      const until = Date.now() + timeoutMs
      while (received.size < count) {
        if (Date.now() > until)
          throw new Error(`receiver got ${received.size} of ${count} messages in ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
  }
}
