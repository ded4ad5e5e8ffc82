import type { Backoff } from './port.ts'

/**
 * The delay before the attempt after failed attempt `attempt` (1-based): d = min(maxMs,
 * baseMs * 2^(attempt-1)), jittered uniformly in [d/2, d] so that jobs failing together do
 * not retry together. Pure; `random` is injectable for tests.
 */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 52)
  const d = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent)
  return Math.round(d / 2 + random() * (d / 2))
}
