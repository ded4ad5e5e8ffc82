import type { z } from 'zod'

/** The keys an object schema accepts at `path`, looking through defaults and optionals. */
export function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let node: z.ZodType | undefined = unwrap(schema)
  for (const key of path) {
    const shape = shapeOf(node)
    node = shape ? unwrap(shape[String(key)]) : undefined
    if (!node) return []
  }
  return Object.keys(shapeOf(node) ?? {})
}

/** The closest known key to a mistyped one (edit distance ≤ 3), if any. */
export function suggest(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 4
  for (const candidate of known) {
    const d = distance(unknown.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let node = schema
  for (let i = 0; node && i < 8; i++) {
    const def = node.def as { type: string; innerType?: z.ZodType }
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly'].includes(def.type))
      node = def.innerType
    else break
  }
  return node
}

function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  const def = schema?.def as { type?: string; shape?: Record<string, z.ZodType> } | undefined
  return def?.type === 'object' ? def.shape : undefined
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length] as number
}
