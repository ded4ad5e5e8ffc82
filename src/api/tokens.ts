import { createHash, randomBytes } from 'node:crypto'

/** API tokens: `mfb_` + 32 random bytes (base64url). Only their SHA-256 is stored. */
export const TOKEN_PREFIX = 'mfb_'

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
