/**
 * Per-sender rate limits of links, as token buckets (capacity = the per-minute rate, refilled
 * continuously). Over the limit a message is not dropped: its deliveries are delayed until
 * the bucket has room, so a flood is spread out and nothing is lost.
 *
 * The buckets live in this process: with several workers each enforces the limit on the
 * messages it routes (a shared limiter belongs to the scale-out work).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** Takes one token for `key` at `perMinute`; returns how long (ms) the caller must wait. */
  reserve(key: string, perMinute: number): number {
    const now = this.#now()
    const ratePerMs = perMinute / 60_000
    const bucket = this.#buckets.get(key) ?? { tokens: perMinute, at: now }
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * ratePerMs)
    bucket.at = now
    bucket.tokens -= 1
    this.#buckets.set(key, bucket)
    if (this.#buckets.size > 100_000) this.#evictFull(now, ratePerMs)
    return bucket.tokens >= 0 ? 0 : Math.ceil(-bucket.tokens / ratePerMs)
  }

  #evictFull(now: number, ratePerMs: number): void {
    for (const [key, b] of this.#buckets)
      if (b.tokens + (now - b.at) * ratePerMs >= 1) this.#buckets.delete(key)
  }
}
