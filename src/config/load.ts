import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import type { z } from 'zod'
import { type EnvOverride, envOverrides, setPath } from './env.ts'
import { ConfigError } from './errors.ts'
import { keysAt, suggest } from './keys.ts'
import { type Config, configSchema } from './schema.ts'

export interface LoadOptions {
  /** The YAML file; omitted means embedded defaults (plus env overrides). */
  readonly path?: string
  /** Environment to read `MFB_*` overrides from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv
  /** Directory for a relative data_dir when there is no file (default: cwd). */
  readonly baseDir?: string
}

/**
 * Reads, overrides and validates the configuration.
 * @throws ConfigError naming the file, the key, the bad value and the fix; never a partial config.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const source = options.path ? resolve(options.path) : undefined
  const tree = source ? readYaml(source) : {}
  const overrides = envOverrides(options.env ?? process.env)
  for (const override of overrides) setPath(tree, override.path, override.value)

  const result = configSchema.safeParse(tree)
  if (!result.success) throw describe(result.error.issues[0] as z.core.$ZodIssue, tree, source, overrides)

  const base = source ? dirname(source) : resolve(options.baseDir ?? process.cwd())
  const raw = result.data
  const dataDir = resolve(base, raw.data_dir ?? '.')
  const inData = (p: string) => (p === ':memory:' || isAbsolute(p) ? p : resolve(dataDir, p))
  return {
    ...raw,
    data_dir: dataDir,
    node: { ...raw.node, key_file: inData(raw.node.key_file) },
    store: { ...raw.store, sqlite: { path: inData(raw.store.sqlite.path) } },
    queue: { ...raw.queue, sqlite: { path: inData(raw.queue.sqlite.path) } },
    adapters: {
      ...raw.adapters,
      matrix: { ...raw.adapters.matrix, registration: inData(raw.adapters.matrix.registration) },
    },
    ...(source ? { source } : {}),
  }
}

function readYaml(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `cannot read config file ${path}${code ? ` (${code})` : ''}`,
      code === 'ENOENT'
        ? 'create it with `mainframe-bridge init --dir <dir>`, or pass --config'
        : 'check its permissions',
      cause,
    )
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  const first = doc.errors[0]
  if (first) {
    const where = first.linePos?.[0] ? `:${first.linePos[0].line}:${first.linePos[0].col}` : ''
    throw new ConfigError(
      'CONFIG_YAML_INVALID',
      `${path}${where}: not valid YAML: ${(first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      'fix the YAML syntax at that line',
    )
  }
  const value: unknown = doc.toJS()
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(
      'CONFIG_NOT_A_MAP',
      `${path}: the config must be a YAML map of sections`,
      'start from config/example.yaml',
    )
  return value as Record<string, unknown>
}

function describe(
  issue: z.core.$ZodIssue,
  tree: Record<string, unknown>,
  source: string | undefined,
  overrides: readonly EnvOverride[],
): ConfigError {
  const where = (path: readonly PropertyKey[]) => {
    const env = overrides.find((o) => o.path.join('.') === path.join('.'))
    return env ? `(from ${env.variable})` : source ? `in ${source}` : '(embedded defaults)'
  }
  const parent = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string
    const full = [...parent, key]
    const known = keysAt(configSchema, parent)
    const guess = suggest(key, known)
    return new ConfigError(
      'CONFIG_UNKNOWN_KEY',
      `unknown config key "${full.join('.')}" ${where(full)}`,
      guess
        ? `did you mean "${[...parent, guess].join('.')}"?`
        : `remove it; the keys allowed ${parent.length ? `under "${parent.join('.')}"` : 'at the top'} are: ${known.join(', ')}`,
    )
  }
  const value = valueAt(tree, parent)
  const secret = SECRET_KEY.test(String(parent[parent.length - 1] ?? ''))
  const shown = value === undefined ? 'nothing' : secret ? '(hidden)' : JSON.stringify(value)
  return new ConfigError(
    'CONFIG_INVALID_VALUE',
    `invalid value for config key "${parent.join('.') || '(root)'}" ${where(parent)}: ${truncate(shown)}`,
    `${issue.message}; see config/example.yaml for this key`,
  )
}

/** Keys whose values never appear in an error message. */
const SECRET_KEY = /(token|secret|password|passphrase|private|url)$/i

function valueAt(tree: unknown, path: readonly (string | number)[]): unknown {
  let node = tree
  for (const key of path)
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined
  return node
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}
