import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../../src/config/errors.ts'
import { describeIssues } from '../../src/core/validate.ts'

/**
 * The application service registration the homeserver loads (written by `mainframe-bridge
 * init`). The bridge reads the same file, so the two sides cannot disagree on the tokens.
 */
const namespaceSchema = z.array(z.object({ exclusive: z.boolean(), regex: z.string().min(1) }).loose())

export const registrationSchema = z
  .object({
    id: z.string().min(1),
    url: z.string().nullable(),
    as_token: z.string().min(16, 'as_token must be at least 16 characters: a token, not a word'),
    hs_token: z.string().min(16, 'hs_token must be at least 16 characters: a token, not a word'),
    sender_localpart: z.string().regex(/^[a-z0-9._=/-]+$/, 'sender_localpart: lower-case Matrix localpart'),
    rate_limited: z.boolean().optional(),
    receive_ephemeral: z.boolean().optional(),
    namespaces: z
      .object({
        users: namespaceSchema.default([]),
        aliases: namespaceSchema.default([]),
        rooms: namespaceSchema.default([]),
      })
      .loose(),
  })
  .loose()

export type Registration = z.infer<typeof registrationSchema>

/** The user and alias prefixes the bridge owns; ghosts and portal aliases live under them. */
export const GHOST_PREFIX = '_mainframe_'

/**
 * Reads and checks the registration file.
 * @throws ConfigError MATRIX_REGISTRATION_INVALID naming the file and what is wrong in it.
 */
export async function loadRegistration(path: string): Promise<Registration> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(
      'MATRIX_REGISTRATION_INVALID',
      `cannot read the Matrix registration ${path}`,
      ['`mainframe-bridge init` writes one; set adapters.matrix.registration to its path'],
      cause,
    )
  }
  let parsed: unknown
  try {
    parsed = parse(text)
  } catch (cause) {
    throw new ConfigError(
      'MATRIX_REGISTRATION_INVALID',
      `${path} is not YAML`,
      'fix the file or write a new one with init',
      cause,
    )
  }
  const result = registrationSchema.safeParse(parsed)
  if (!result.success)
    throw new ConfigError(
      'MATRIX_REGISTRATION_INVALID',
      `${path}: ${describeIssues(result.error.issues)}`,
      'the homeserver loads the same file: fix it there too, then restart both',
    )
  const users = result.data.namespaces.users
  if (!users.some((ns) => ns.exclusive && ns.regex.startsWith(`@${GHOST_PREFIX}`)))
    throw new ConfigError(
      'MATRIX_REGISTRATION_INVALID',
      `${path}: no exclusive user namespace @${GHOST_PREFIX}.*`,
      'ghosts need it: add `- {exclusive: true, regex: "@_mainframe_.*"}` under namespaces.users',
    )
  return result.data
}
