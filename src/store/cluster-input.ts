import { invalidArgument } from './errors.ts'
import { checkText } from './input.ts'

/** A TTL or token: a positive safe integer. @throws STORE_INVALID_ARGUMENT */
export function checkPositive(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw invalidArgument(
      what,
      `expected a positive integer, got ${typeof value === 'number' ? value : typeof value}`,
    )
  return value
}

export function checkLeaseKey(name: unknown, holder?: unknown): void {
  checkText('lease name', name)
  if (holder !== undefined) checkText('lease holder', holder)
}
