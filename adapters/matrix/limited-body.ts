/** What reading a body under a limit found. */
export type LimitedBody =
  | { readonly kind: 'ok'; readonly bytes: Uint8Array }
  /** Over the limit: `size` is what the server declared, when it did so (else unknown). */
  | { readonly kind: 'too-large'; readonly size?: number }

/**
 * Reads a response body whole, unless it is larger than `maxBytes`: then it stops at once
 * (a declared Content-Length over the limit is not read at all; an undeclared one is read
 * up to the limit) and cancels the rest. Memory never holds more than `maxBytes` + one chunk.
 * @throws what the stream throws (a network failure, an abort).
 */
export async function readLimited(res: Response, maxBytes: number): Promise<LimitedBody> {
  const header = res.headers.get('content-length')
  const declared = header !== null && /^\d{1,15}$/.test(header) ? Number(header) : undefined
  if (declared !== undefined && declared > maxBytes) {
    await res.body?.cancel().catch(() => {})
    return { kind: 'too-large', size: declared }
  }
  if (res.body === null) return { kind: 'ok', bytes: new Uint8Array(0) }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      return { kind: 'too-large' }
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  return { kind: 'ok', bytes }
}
