import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { keysAt } from '../../../src/config/keys.ts'
import { loadConfig } from '../../../src/config/load.ts'
import { configSchema } from '../../../src/config/schema.ts'

const EXAMPLE = new URL('../../../config/example.yaml', import.meta.url)

function leafKeys(path: string[] = []): string[] {
  const keys = keysAt(configSchema, path)
  if (keys.length === 0) return [path.join('.')]
  return keys.flatMap((key) => leafKeys([...path, key]))
}

describe('config/example.yaml', () => {
  test('is valid and equals the defaults', () => {
    const example = loadConfig({ path: EXAMPLE.pathname, env: {} })
    const defaults = loadConfig({ env: {}, baseDir: new URL('.', EXAMPLE).pathname })
    expect(example).toEqual({ ...defaults, source: example.source })
  })

  test('documents every key of the schema', () => {
    const tree = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>
    for (const key of leafKeys()) {
      let node: unknown = tree
      for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part]
      expect(node, `config/example.yaml lacks ${key}`).not.toBeUndefined()
    }
  })
})
