import { parse as parseYaml } from 'yaml'

/** Prefix of every environment override. */
export const ENV_PREFIX = 'MFB_'

/** Variables that share the prefix but are not config keys. */
const NOT_CONFIG = new Set(['MFB_PASSPHRASE'])

export interface EnvOverride {
  readonly variable: string
  readonly path: readonly string[]
  readonly value: unknown
}

/**
 * Reads `MFB_<SECTION>__<KEY>` variables (upper case, `__` between levels) into config paths.
 * Values are read as YAML scalars, so `8080` is a number, `true` a boolean and `[a, b]` a list.
 * A variable without `__` names a top-level key (`MFB_DATA_DIR`).
 */
export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  const out: EnvOverride[] = []
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || raw === undefined || NOT_CONFIG.has(variable)) continue
    const path = variable
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((part) => part.toLowerCase())
    if (path.some((part) => part.length === 0)) continue
    out.push({ variable, path, value: readScalar(raw) })
  }
  return out.sort((a, b) => a.variable.localeCompare(b.variable))
}

function readScalar(raw: string): unknown {
  try {
    const value: unknown = parseYaml(raw)
    return value === null ? raw : value
  } catch {
    return raw
  }
}

/** Sets `value` at `path` inside a plain object tree, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}
