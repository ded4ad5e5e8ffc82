import type { z } from 'zod'
import { InvalidInputError } from './errors.ts'

/**
 * Parses `input` with a zod schema and turns a failure into one InvalidInputError that names
 * every offending path, e.g. `invalid message: body.text: expected string, received number`.
 */
export function parseWith<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
  code = 'INVALID_INPUT',
): z.output<T> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  throw new InvalidInputError(code, `invalid ${what}: ${describeIssues(result.error.issues)}`, {
    hint: `fix the fields named above and send the ${what} again`,
  })
}

/** One line per zod issue, joined with "; ": `path.to.key: message`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 8)
    .map((issue) => {
      const path = issue.path.length ? issue.path.map(String).join('.') : '(root)'
      if (issue.code === 'unrecognized_keys') return `${path}: unknown field(s) ${issue.keys.join(', ')}`
      return `${path}: ${issue.message}`
    })
    .join('; ')
}
